import { formatBytes, type ProgramManifest } from '../protocol/index.ts';

/** Enough names to recognise the program at a glance; the count says how many more there are. */
const FILES_LISTED = 30;
const LEFT_OUT_LISTED = 10;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function andMore(listed: number, total: number): string {
  return total > listed ? `, … and ${total - listed} more` : '';
}

/** What `cohort publish` says members will receive, before it serves anything. */
export function describeManifest(m: ProgramManifest): string {
  const files = m.files.slice(0, FILES_LISTED).map((f) => f.path);
  const lines = [`Members will receive ${plural(m.count, 'file')} (${formatBytes(m.bytes)}): ${files.join(', ')}${andMore(files.length, m.count)}`];
  if (m.left_out_count > 0) {
    const left = m.left_out.slice(0, LEFT_OUT_LISTED).map((e) => `${e.path} (${e.why})`);
    lines.push(`Left out: ${left.join(', ')}${andMore(left.length, m.left_out_count)}. A .cohortignore in the folder leaves out more.`);
  }
  return lines.join('\n');
}
