import { z } from 'zod';
import { detailMap, durationsMap, LIMITS, metricValue, VerificationState } from './results.ts';
import { ProgramFile } from './task.ts';

/**
 * Verification jobs (docs/design.md, "Verified champions"): the host leases a pending claim to a
 * member other than its claimant, who runs the claim's exact code, unchanged, and reports the value.
 *
 * POST /api/verifications/next   NextJobRequest → NextJobResponse (job null: nothing to verify now)
 * POST /api/verifications/:lease/report   RerunReport → RerunReportResponse (201; 200 for a replay)
 */

/** What the worker says about its machine, so the host can give it a claim made on the same GPU model. */
export const NextJobRequest = z.strictObject({ hardware: detailMap.optional() });
export type NextJobRequest = z.infer<typeof NextJobRequest>;

export const VerificationJob = z.object({
  /** The lease: report with it before `expires_at`; after that the claim is offered again. */
  lease: z.string(),
  expires_at: z.string(),
  claim: z.object({ id: z.string(), member_name: z.string(), value: z.number(), hardware: z.record(z.string(), z.unknown()) }),
  /** The claim's editable files (its parent champion's with its patch applied): run them as they are. */
  files: z.array(ProgramFile),
  code_hash: z.string(),
  run: z.string(),
  time_budget: z.number(),
});
export type VerificationJob = z.infer<typeof VerificationJob>;

export const NextJobResponse = z.object({ job: VerificationJob.nullable() });
export type NextJobResponse = z.infer<typeof NextJobResponse>;

export const RerunReport = z
  .strictObject({
    value: metricValue.nullable(),
    crashed: z.boolean().optional(),
    hardware: detailMap.optional(),
    output: z.string().max(LIMITS.output).optional(),
    durations: durationsMap.optional(),
    idempotency_key: z.string().min(1).max(LIMITS.idempotencyKey).optional(),
  })
  .refine((b) => b.value !== null || b.crashed === true, { path: ['value'], message: 'must be a finite number, or null together with "crashed": true' });
export type RerunReport = z.infer<typeof RerunReport>;

export const RerunReportResponse = z.object({
  claim: z.object({ id: z.string(), verification: VerificationState, effective_value: z.number().nullable(), status: z.string(), reason: z.string() }),
});
export type RerunReportResponse = z.infer<typeof RerunReportResponse>;
