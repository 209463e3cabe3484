import { isAbsolute, relative, resolve, sep } from 'node:path';

/** `child` is `parent` or lies inside it (plain path logic, no symlinks resolved). */
export function within(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** Absolute, normalised, deduplicated, and without the entries that lie inside another one. */
export function outermost(paths: Iterable<string>): string[] {
  const sorted = [...new Set([...paths].map((p) => resolve(p)))].sort((a, b) => a.length - b.length || a.localeCompare(b));
  const kept: string[] = [];
  for (const p of sorted) if (!kept.some((k) => within(p, k))) kept.push(p);
  return kept;
}
