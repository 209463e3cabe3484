import type { SearchRange, TaskSpec } from '../../protocol/index.ts';
import type { Random } from '../../protocol/random.ts';
import { WorkerError } from '../credentials.ts';

export { seededRandom, type Random } from '../../protocol/random.ts';

function gaussian(random: Random): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** A top-level `NAME = number` assignment (Python style), keeping whatever follows (a comment). */
const assignment = (name: string) => new RegExp(`^(${name}\\s*(?::\\s*\\w+\\s*)?=\\s*)([-+]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][-+]?\\d+)?)(.*)$`, 'm');

function format(value: number, range: SearchRange): string {
  if (range.integer) return String(Math.round(value));
  return Number(value.toPrecision(3)).toString();
}

/** A new value near `current`, inside the range, and different from it when the range allows. */
export function nudge(current: number, range: SearchRange, random: Random): number {
  const clamp = (v: number) => Math.min(range.max, Math.max(range.min, v));
  for (let i = 0; i < 20; i++) {
    let next: number;
    if (range.scale === 'log') next = clamp(Math.max(current, range.min) * Math.exp(0.5 * gaussian(random)));
    else next = clamp(current + 0.2 * (range.max - range.min) * gaussian(random));
    if (range.integer) next = Math.round(next);
    if (format(next, range) !== format(current, range)) return next;
  }
  return range.integer ? clamp(current + (current < range.max ? 1 : -1)) : clamp(range.min + random() * (range.max - range.min));
}

/** Where the proposer reads and writes the editable files: the workspace, which refuses links and special files. */
export interface EditableFiles {
  readFile(path: string): Promise<string | null>;
  writeFile(path: string, content: string): Promise<void>;
}

export interface Mutation {
  name: string;
  file: string;
  from: string;
  to: string;
}

/**
 * The built-in proposer: edits one or two of the constants TASK.md's `search` names, within their
 * ranges, so a research loop runs with no agent at all. Returns the hypothesis it tests.
 */
export async function mutate(files: EditableFiles, spec: TaskSpec, random: Random = Math.random): Promise<{ hypothesis: string; mutations: Mutation[] }> {
  const search = Object.entries(spec.search ?? {});
  if (search.length === 0) throw new WorkerError('TASK.md has no `search` block, so the built-in proposer has nothing to change; use --propose CMD with your own proposer or agent.');
  const count = Math.min(search.length, random() < 0.6 ? 1 : 2);
  const picked = [...search].sort(() => random() - 0.5).slice(0, count);
  const mutations: Mutation[] = [];
  for (const [name, range] of picked) {
    const file = range.file ?? spec.editable[0]!;
    const text = await files.readFile(file);
    if (text === null) throw new WorkerError(`${file} is missing from the workspace, so the search block cannot change it.`);
    const match = assignment(name).exec(text);
    if (!match) throw new WorkerError(`${file} has no top-level \`${name} = <number>\` line for the search block to change.`);
    const from = match[2]!;
    const to = format(nudge(Number(from), range, random), range);
    await files.writeFile(file, text.replace(assignment(name), `$1${to}$3`));
    mutations.push({ name, file, from, to });
  }
  return { hypothesis: `mutate: ${mutations.map((m) => `${m.name} ${m.from} → ${m.to}`).join(', ')}`, mutations };
}
