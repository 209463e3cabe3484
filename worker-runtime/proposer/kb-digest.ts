import type { ResultRecord, ResultSummary, StatusResponse } from '../../protocol/index.ts';

const oneLine = (text: string, max = 120) => {
  const line = text.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};
const cell = (text: string) => text.replaceAll('|', '\\|');

/** Results listed under "Recent results". */
export const DIGEST_RECENT = 25;

/** What KB.md is written from besides the status: pages the caller fetched (bounded, never the whole KB). */
export interface DigestInput {
  /** The latest results, newest first (GET /api/results?order=desc). */
  recent: readonly ResultRecord[];
  /** The champion's lineage, newest first (GET /api/results/:id/lineage); empty without a champion. */
  lineage: readonly ResultSummary[];
}

/**
 * KB.md: what a proposer (a person, or a coding agent run by `--propose CMD`) needs before the next
 * experiment — the objective, the champion and its lineage, the best results, and what was tried
 * lately and how it went.
 */
export function kbDigest(status: StatusResponse, input: DigestInput): string {
  const spec = status.program.spec;
  const recent = input.recent.slice(0, DIGEST_RECENT);
  const champion = status.champion;
  const lines = [
    `# KB digest: ${spec.name}`,
    '',
    `Objective: ${spec.objective}`,
    `Metric: \`${spec.metric}\`, ${spec.direction === 'minimize' ? 'lower is better' : 'higher is better'}. Rule: ${spec.accept}${spec.accept === 'threshold' ? ` (threshold ${spec.threshold})` : ''}${spec.min_improvement > 0 ? `, must beat the champion by more than ${spec.min_improvement}` : ''}.`,
    `Editable files: ${spec.editable.join(', ')}. Time budget: ${spec.time_budget} s per run.`,
    '',
    '## Champion',
    '',
    champion
      ? `${champion.id}: ${spec.metric} = ${champion.value} by ${champion.member_name} — ${oneLine(champion.hypothesis) || 'no hypothesis'}`
      : `None yet${status.baseline === null ? '' : `; baseline ${status.baseline}`}. The first result becomes the champion if it beats the baseline.`,
    '',
  ];
  const chain = input.lineage;
  if (chain.length > 0) {
    lines.push('Lineage (newest first):', '');
    for (const r of chain) lines.push(`- ${r.id} (${spec.metric} ${r.value}, ${r.member_name}): ${oneLine(r.hypothesis) || '—'}`);
    lines.push('- original program code', '');
  }
  const counts = status.counts;
  lines.push(`Results so far: ${status.total} (${counts.keep} kept, ${counts.discard} discarded, ${counts.crash} crashed, ${counts.duplicate} duplicates).`, '');
  if (status.leaderboard.length > 0) {
    lines.push(`## Best results (top ${status.leaderboard.length})`, '');
    lines.push(`| id | status | ${spec.metric} | by | hypothesis |`, '|---|---|---|---|---|');
    for (const r of status.leaderboard) lines.push(`| ${r.id} | ${r.status} | ${r.value ?? '—'} | ${cell(r.member_name)} | ${cell(oneLine(r.hypothesis, 80) || '—')} |`);
    lines.push('');
  }
  lines.push(`## Recent results (${recent.length} of ${status.total}, newest first)`, '');
  if (recent.length === 0) lines.push('No results yet.');
  else {
    lines.push(`| id | status | ${spec.metric} | by | hypothesis | why |`, '|---|---|---|---|---|---|');
    for (const r of recent) {
      lines.push(`| ${r.id} | ${r.status} | ${r.value ?? '—'} | ${cell(r.member_name)} | ${cell(oneLine(r.hypothesis, 80) || '—')} | ${cell(oneLine(r.reason, 80))} |`);
    }
  }
  lines.push(
    '',
    '## Your turn',
    '',
    `Change only ${spec.editable.join(', ')} in this folder. Write one short paragraph saying what you changed and why`,
    'into HYPOTHESIS.md; the worker runs the program, submits the result with that hypothesis, and the',
    'host keeps it if it beats the champion.',
    '',
  );
  return lines.join('\n');
}
