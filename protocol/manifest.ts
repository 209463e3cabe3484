import { z } from 'zod';

/**
 * What a published program hands to members (docs/host.md, "What a program ships"): every file
 * with its size, and what the folder holds that is not shipped, with why. The owner sees it before
 * strangers download anything, so a forgotten dataset or key is noticed before it leaves.
 */

/** At most this many left-out entries are listed; `left_out_count` counts them all. */
export const MAX_LEFT_OUT_LISTED = 50;

export const ShippedFile = z.object({ path: z.string(), bytes: z.number().int().nonnegative() });
export type ShippedFile = z.infer<typeof ShippedFile>;

/** A file or folder (path ending in "/") of the program folder that members do not receive. */
export const LeftOutEntry = z.object({ path: z.string(), why: z.string() });
export type LeftOutEntry = z.infer<typeof LeftOutEntry>;

export const ProgramManifest = z.object({
  /** Every shipped file, TASK.md included, sorted by path. */
  files: z.array(ShippedFile),
  count: z.number().int().nonnegative(),
  /** The shipped files' total size in bytes (UTF-8). */
  bytes: z.number().int().nonnegative(),
  /** The first `MAX_LEFT_OUT_LISTED` entries left out, in walk order. */
  left_out: z.array(LeftOutEntry),
  left_out_count: z.number().int().nonnegative(),
});
export type ProgramManifest = z.infer<typeof ProgramManifest>;

/** "812 bytes", "12.3 KiB", "4.5 MiB": the same words in the CLI, the UI and the loader's errors. */
export function formatBytes(n: number): string {
  const KiB = 1024;
  const MiB = KiB * KiB;
  if (n >= MiB) return `${Number((n / MiB).toFixed(1))} MiB`;
  if (n >= KiB) return `${Number((n / KiB).toFixed(1))} KiB`;
  return `${n} bytes`;
}
