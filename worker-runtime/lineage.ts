import type { ResultSummary } from '../protocol/index.ts';

/** One kept change in the code a run is about to execute. */
export interface LineageStep {
  /** The result id, e.g. `r12`. */
  id: string;
  member: string;
  /** Self-declared display name. */
  memberName: string;
  /** This worker's own member. */
  you: boolean;
  value: number | null;
  hypothesis: string;
}

/** Whose changes the code of a run contains: the champion's ancestry plus this machine's edits. */
export interface CodeLineage {
  /** The champion the workspace is on; null for the program's original code. */
  champion: string | null;
  /** The kept results from the champion back to the original code, newest first. */
  chain: LineageStep[];
  /** False when a link of the chain was missing from the results (the list may be incomplete). */
  complete: boolean;
  /** Editable files changed on this machine (by the person or the proposer) on top of the champion. */
  localEdits: string[];
}

/** Walks the champion's `parent` links through `results` (as `GET /api/results/:id/lineage` lists them). */
export function codeLineage(results: readonly ResultSummary[], championId: string | null, you: string, localEdits: readonly string[]): CodeLineage {
  const byId = new Map(results.map((r) => [r.id, r]));
  const chain: LineageStep[] = [];
  const seen = new Set<string>();
  let complete = true;
  for (let id = championId; id !== null && !seen.has(id); ) {
    seen.add(id);
    const r = byId.get(id);
    if (!r) {
      complete = false;
      break;
    }
    if (r.status === 'keep') chain.push({ id: r.id, member: r.member, memberName: r.member_name, you: r.member === you, value: r.value, hypothesis: r.hypothesis });
    id = r.parent;
  }
  return { champion: championId, chain, complete, localEdits: [...localEdits] };
}

/** One line for a person: `changes by bob (r5), you (r2), plus your local edits to train.py`. */
export function describeLineage(l: CodeLineage): string {
  const kept = l.chain.map((s) => `${s.you ? 'you' : s.memberName} (${s.id})`);
  const edits = l.localEdits.length > 0 ? `your local edits to ${l.localEdits.join(', ')}` : '';
  const head = kept.length > 0 ? `changes by ${kept.join(', ')}${l.complete ? '' : ', and earlier results that could not be listed'}` : l.champion === null ? 'the program\'s original code' : `champion ${l.champion} (its results could not be listed)`;
  return edits ? `${head}, plus ${edits}` : head;
}
