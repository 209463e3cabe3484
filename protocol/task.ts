import { z } from 'zod';

/**
 * TASK.md frontmatter: the research program's contract (docs/design.md, "Research program").
 * Objects are strict so that a misspelt field is an error, not a silently ignored line.
 */

const slug = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/, 'must be a slug: lowercase letters, digits and dashes, e.g. "tiny-gpt"');

/** A path relative to the program folder, without `..`, absolute parts or backslashes. */
export const RelativePath = z
  .string()
  .min(1)
  .max(255)
  .refine((p) => !p.startsWith('/') && !p.includes('\\') && !p.split('/').some((s) => s === '..' || s === '.' || s === ''), {
    message: 'must be a plain relative path inside the program folder (no "..", no leading "/")',
  });

export const SearchRange = z.strictObject({
  file: RelativePath.optional(),
  min: z.number(),
  max: z.number(),
  integer: z.boolean().default(false),
  scale: z.enum(['linear', 'log']).default('linear'),
});
export type SearchRange = z.infer<typeof SearchRange>;

/** The longest `time_budget` a program may set: 7 days. */
export const MAX_TIME_BUDGET_SECONDS = 7 * 24 * 3600;

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

/**
 * Per-member quotas (docs/host.md, "Quotas"): what one member may store and how fast it may submit.
 * Each field is optional; main/kb/quotas.ts holds the defaults, which real programs never meet.
 * The upper bounds only keep the numbers meaningful (a bucket of 10^6 per hour is no limit at all).
 */
export const QuotaSpec = z.strictObject({
  storage_mb: finite
    .refine((n) => n > 0, 'must be > 0 (MiB of patches, outputs and hypotheses one member may store)')
    .refine((n) => n <= 1_048_576, 'must be at most 1048576 (1 TiB)')
    .optional(),
  submissions_per_hour: finite
    .refine(Number.isInteger, 'must be a whole number of submissions')
    .refine((n) => n >= 1, 'must be ≥ 1')
    .refine((n) => n <= 1_000_000, 'must be at most 1000000')
    .optional(),
});
export type QuotaSpec = z.infer<typeof QuotaSpec>;

/**
 * How claims are re-run (docs/design.md, "Verified champions"). `replicas` re-runs by other members
 * decide a claim (0: verification off, every value "unverified"); their median may be worse than
 * the claim by `tolerance` (default: the program's min_improvement); `same_hardware` offers a claim
 * only to members on the claimant's GPU model.
 */
export const VerifySpec = z.strictObject({
  replicas: z
    .number()
    .refine(Number.isInteger, 'must be a whole number of re-runs')
    .refine((n) => n >= 0 && n <= 9, 'must be between 0 (verification off) and 9')
    .default(1),
  tolerance: z
    .number()
    .refine(Number.isFinite, 'must be a finite number')
    .refine((n) => n >= 0, 'must be ≥ 0 (how much worse than the claim its re-runs may be)')
    .optional(),
  same_hardware: z.boolean().default(true),
});
export type VerifySpec = z.infer<typeof VerifySpec>;
/**
 * Environment variables a program sets for its setup and runs (docs/design.md, "Programs that need
 * setup"). Values are literal (no `$VAR` expansion; a run command can do that). Names the worker
 * itself decides are refused, with where to set them instead.
 */
export const RESERVED_ENV = ['HOME', 'PATH', 'TMPDIR', 'TMP', 'TEMP', 'XDG_CACHE_HOME', 'CUDA_VISIBLE_DEVICES'] as const;
/** What is wrong with an `env` name, or null (a record's key schema would only say "Invalid key in record"). */
function envNameProblem(k: string): string | null {
  // "__proto__" as a record key would set the parsed object's prototype instead of adding an entry.
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(k) || k === '__proto__') return 'must be an environment variable name (letters, digits, "_")';
  if ((RESERVED_ENV as readonly string[]).includes(k) || k.startsWith('COHORT_')) {
    return `is set by the worker (${RESERVED_ENV.join(', ')}, COHORT_*): a run command can extend it, e.g. "PATH=/opt/x/bin:$PATH python3 train.py"`;
  }
  return null;
}
const envValue = z
  .union([z.string(), z.number().refine(Number.isFinite, 'must be finite'), z.boolean()])
  .transform(String)
  .refine((v) => v.length <= 4096, 'must be at most 4096 characters')
  // eslint-disable-next-line no-control-regex
  .refine((v) => !/[\u0000-\u001f\u007f]/.test(v), 'must not contain control characters (newlines, NUL)');
export const EnvSpec = z.record(z.string().refine((k) => k !== '__proto__', 'must be an environment variable name, not "__proto__"'), envValue).superRefine((m, ctx) => {
  const names = Object.keys(m);
  if (names.length > 64) ctx.addIssue({ code: 'custom', message: 'must have at most 64 variables' });
  for (const name of names) {
    const problem = envNameProblem(name);
    if (problem !== null) ctx.addIssue({ code: 'custom', path: [name], message: problem });
  }
});

/**
 * What a worker must have to run the program (docs/design.md, "Hardware"). `gpu` is a list of GPU
 * model names separated by `|`, each matched as a case-insensitive substring of the worker's GPU
 * name ("GB10|H100"); plain text, not a regular expression, so matching costs nothing whatever a
 * join request says. `gpu_memory_gb` is per GPU (a unified-memory GPU such as the GB10 counts the
 * machine's memory); `gpu_count` is the GPUs one run uses (default 1 when any GPU is required).
 */
export const RequiresSpec = z.strictObject({
  gpu: z
    .string()
    .trim()
    .min(1)
    .max(256)
    .refine((s) => s.split('|').every((part) => part.trim().length > 0), 'must be GPU model names separated by "|", e.g. "GB10|H100"')
    .optional(),
  gpu_memory_gb: finite.refine((n) => n > 0 && n <= 1_000_000, 'must be > 0 (GiB of memory per GPU)').optional(),
  gpu_count: z
    .number()
    .refine(Number.isInteger, 'must be a whole number of GPUs')
    .refine((n) => n >= 1 && n <= 64, 'must be between 1 and 64')
    .optional(),
});
export type RequiresSpec = z.infer<typeof RequiresSpec>;

/** Reference values share the submitted values' bound (LIMITS.value in results.ts), so impacts stay finite. */
const metric = finite.refine((n) => Math.abs(n) <= 1e300, 'must be between -1e300 and 1e300');

export const TaskSpec = z
  .strictObject({
    name: slug,
    objective: z.string().trim().min(1, 'must not be empty'),
    metric: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/, 'must be a metric name such as "val_bpb"'),
    direction: z.enum(['minimize', 'maximize']),
    accept: z.enum(['beats-champion', 'threshold']).default('beats-champion'),
    threshold: metric.optional(),
    min_improvement: metric.refine((n) => n >= 0, 'must be ≥ 0').default(0),
    baseline: metric.optional(),
    run: z.string().trim().min(1).default('python3 train.py'),
    editable: z.array(RelativePath).min(1).default(['train.py']),
    /**
     * Files shipped although they look like secrets (a public certificate named `*.pem`) or are left
     * out by default (a dot-file, a file under data/). No default, so specs without it are unchanged
     * on the wire. Editable files always ship and need not be repeated here.
     */
    ship: z.array(RelativePath).optional(),
    // A week bounds every timer a run sets (the budget plus its grace stays far below setTimeout's ~24.8 days).
    time_budget: finite
      .refine((n) => n > 0, 'must be > 0 seconds')
      .refine((n) => n <= MAX_TIME_BUDGET_SECONDS, `must be at most ${MAX_TIME_BUDGET_SECONDS} seconds (7 days)`)
      .default(300),
    pool: finite.refine((n) => n >= 0, 'must be ≥ 0').default(0),
    token: z.string().trim().min(1).max(16).default('OBOL'),
    split: z.enum(['by-impact', 'champion-takes-all']).default('by-impact'),
    membership: z.enum(['invite', 'open']).default('invite'),
    /** No default, so specs without it are unchanged on the wire; the defaults live in main/kb/quotas.ts. */
    quota: QuotaSpec.optional(),
    /** Absent: verification off, as before it existed (docs/design.md, "Verified champions"). */
    verify: VerifySpec.optional(),
    /** A shell command that prepares a worker (with network): runs before the first run and when the program changes. */
    setup: z.string().trim().min(1).max(4096).optional(),
    env: EnvSpec.optional(),
    requires: RequiresSpec.optional(),
    search: z
      .record(
        z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a constant name')
          // A record key "__proto__" would set the parsed object's prototype instead of adding an entry.
          .refine((k) => k !== '__proto__', 'must be a constant name, not "__proto__"'),
        SearchRange,
      )
      .optional(),
  })
  .superRefine((t, ctx) => {
    if (t.accept === 'threshold' && t.threshold === undefined) {
      ctx.addIssue({ code: 'custom', path: ['threshold'], message: 'is required when accept is "threshold"' });
    }
    for (const [name, r] of Object.entries(t.search ?? {})) {
      if (r.min > r.max) ctx.addIssue({ code: 'custom', path: ['search', name, 'min'], message: 'must not exceed max' });
      if (r.scale === 'log' && r.min <= 0) ctx.addIssue({ code: 'custom', path: ['search', name, 'min'], message: 'must be > 0 for a log scale' });
      if (r.file !== undefined && !t.editable.includes(r.file)) {
        ctx.addIssue({ code: 'custom', path: ['search', name, 'file'], message: `must be one of the editable files (${t.editable.join(', ')})` });
      }
    }
  });
/** The frontmatter as written (defaults optional). */
export type TaskSpecInput = z.input<typeof TaskSpec>;
/** The frontmatter with defaults applied. */
export type TaskSpec = z.output<typeof TaskSpec>;

/** A program as served to members: the spec, the TASK.md body and the files. */
export const ProgramFile = z.object({ path: RelativePath, content: z.string() });
export type ProgramFile = z.infer<typeof ProgramFile>;

export const ProgramInfo = z.object({
  spec: TaskSpec,
  body: z.string(),
});
export type ProgramInfo = z.infer<typeof ProgramInfo>;
