import { z } from 'zod';
import { ProgramManifest } from './manifest.ts';

/**
 * The app's loopback listener (`cohort app`, the desktop app): which views it offers, and
 * publishing a program from the UI. A plain `cohort publish` owner listener answers the same
 * `GET /api/app`, with only the owner view and no publishing.
 */
export const AppInfo = z.object({
  views: z.array(z.enum(['owner', 'worker'])),
  /** Whether `POST /api/app/publish` exists here. */
  can_publish: z.boolean(),
  /** The published program's name; null until one is published. */
  program: z.string().nullable(),
});
export type AppInfo = z.infer<typeof AppInfo>;

export const PublishRequest = z.object({
  /** A folder on this machine with TASK.md. */
  dir: z.string().trim().min(1, 'Give the folder of a research program (the one with TASK.md).').max(4096),
});
export type PublishRequest = z.infer<typeof PublishRequest>;

/** One problem with a program folder, placed where an editor would put it. */
export const ProgramIssueBody = z.object({
  file: z.string(),
  field: z.string().nullable(),
  line: z.number().int().nullable(),
  message: z.string(),
});
export type ProgramIssueBody = z.infer<typeof ProgramIssueBody>;

/** 400 `invalid_program`: the usual error body plus every issue, so the UI can show each inline. */
export const InvalidProgramBody = z.object({
  error: z.literal('invalid_program'),
  message: z.string(),
  dir: z.string(),
  issues: z.array(ProgramIssueBody).min(1),
});
export type InvalidProgramBody = z.infer<typeof InvalidProgramBody>;

/** 201: the program is hosted; `manifest` is what members will receive, for the owner to check. */
export const PublishResponse = z.object({ program: z.string(), dir: z.string(), public_url: z.string(), manifest: ProgramManifest });
export type PublishResponse = z.infer<typeof PublishResponse>;
