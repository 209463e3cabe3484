import type { CodeResponse, LineageResponse, RerunReport, RerunReportResponse, ResultsResponse, ResultVerdict, StatusResponse, SubmitResultRequest, TaskResponse, VerificationJob } from '../../protocol/index.ts';
import type { Membership } from '../credentials.ts';
import type { Emit } from '../events.ts';
import { MemberClient, RejectedError, type ResultsQuery } from '../member-client.ts';
import { Outbox } from '../outbox.ts';
import { retrying, retryPolicy, type RetryPolicy } from './retry.ts';

export interface HostSessionOptions {
  membership: Membership;
  /** The membership's outbox folder (`workerDirs(…).outbox`). */
  outboxDir: string;
  retry?: Partial<RetryPolicy>;
  emit?: Emit;
  signal?: AbortSignal;
  /** The member API client (default: one for the membership's URL and token). */
  client?: MemberClient;
  /** After the host has been unreachable this long, retry events carry how to re-point (default 2 minutes). */
  repointHintAfterMs?: number;
  now?: () => number;
}

/** The hint a worker gives once its host has been unreachable a while (docs/worker.md, "Re-pointing"). */
export function repointHint(url: string, since: number): string {
  return `cannot reach ${url} since ${new Date(since).toISOString()}; if the owner moved the program, re-point with \`cohort join NEW_URL\``;
}

/**
 * A worker's tie to one membership's host: the member API, called with one retry policy for every
 * call (a host restarting mid-loop is waited out wherever the loop happens to be), and the outbox
 * every result goes through. A revoked membership (NotAMemberError) and a refusal (RejectedError)
 * are thrown at once; stopping (`signal`) ends a wait with the host's last error.
 */
export class HostSession {
  readonly membership: Membership;
  readonly client: MemberClient;
  readonly outbox: Outbox;
  /** Every result the host acknowledged in this session, in order. */
  readonly submitted: ResultVerdict[] = [];
  /** Results not delivered in this session (refused, or moved aside): kept in the outbox's `rejected/`. */
  rejected = 0;
  readonly #policy: RetryPolicy;
  readonly #emit: Emit;
  readonly #signal: AbortSignal | undefined;
  readonly #hintAfterMs: number;
  readonly #now: () => number;
  /** When the host stopped answering (the first retry since the last success), or null. */
  #unreachableSince: number | null = null;

  constructor(opts: HostSessionOptions) {
    this.#hintAfterMs = opts.repointHintAfterMs ?? 120_000;
    this.#now = opts.now ?? Date.now;
    this.membership = opts.membership;
    this.client = opts.client ?? new MemberClient(opts.membership.url, opts.membership.token);
    this.outbox = new Outbox(opts.outboxDir, opts.membership);
    this.#policy = retryPolicy(opts.retry);
    this.#emit = opts.emit ?? (() => undefined);
    this.#signal = opts.signal;
  }

  #retry(r: { attempt: number; delayMs: number; reason: string }): void {
    const now = this.#now();
    this.#unreachableSince ??= now;
    const long = now - this.#unreachableSince >= this.#hintAfterMs;
    this.#emit({ type: 'retry', attempt: r.attempt, delayMs: r.delayMs, reason: r.reason, ...(long ? { hint: repointHint(this.membership.url, this.#unreachableSince) } : {}) });
  }

  async #call<T>(request: (client: MemberClient) => Promise<T>): Promise<T> {
    const out = await retrying(() => request(this.client), {
      policy: this.#policy,
      ...(this.#signal ? { signal: this.#signal } : {}),
      onRetry: (r) => this.#retry(r),
    });
    this.#unreachableSince = null;
    return out;
  }

  /** The program's files, its champion and what a run is compared with. */
  task(): Promise<TaskResponse> {
    return this.#call((c) => c.task());
  }

  /** One page of results; nothing here lists the whole KB (docs/design.md, "Listings at scale"). */
  results(query: ResultsQuery = {}): Promise<ResultsResponse> {
    return this.#call((c) => c.results(query));
  }

  lineage(id: string): Promise<LineageResponse> {
    return this.#call((c) => c.lineage(id));
  }

  code(hash: string): Promise<CodeResponse> {
    return this.#call((c) => c.code(hash));
  }

  status(): Promise<StatusResponse> {
    return this.#call((c) => c.status());
  }

  /** A verification job, or null; a host from before verification (404) has none. */
  async nextVerification(hardware: Record<string, unknown>): Promise<VerificationJob | null> {
    try {
      return await this.#call((c) => c.nextVerification(hardware));
    } catch (err) {
      if (err instanceof RejectedError && err.code === 'not_found') return null;
      throw err;
    }
  }

  /** Reports a re-run; retried while the host is down (the idempotency key makes a repeat harmless). */
  reportRerun(lease: string, body: RerunReport): Promise<RerunReportResponse['claim']> {
    return this.#call((c) => c.reportRerun(lease, body));
  }

  /** Writes the result to the outbox (on disk before anything is sent), then delivers. */
  async submit(body: SubmitResultRequest): Promise<void> {
    await this.outbox.add(this.membership, body);
    await this.deliver();
  }

  /** Whether results of an earlier session wait in the outbox. */
  async pending(): Promise<boolean> {
    return (await this.outbox.pending()).length > 0;
  }

  /** Sends what waits in the outbox, oldest first, with the same retry policy; reports each verdict. */
  async deliver(): Promise<void> {
    const delivered = await this.outbox.flush(this.client, {
      ...this.#policy,
      ...(this.#signal ? { signal: this.#signal } : {}),
      onRetry: (r) => this.#retry(r),
      onRejected: (key, reason, movedTo) => {
        this.rejected++;
        this.#emit({ type: 'rejected', key, reason, movedTo });
      },
    });
    this.#unreachableSince = null;
    for (const d of delivered) {
      this.submitted.push(d.verdict);
      this.#emit({ type: 'submitted', verdict: d.verdict, replayed: d.replayed, hypothesis: d.hypothesis });
      for (const message of d.warnings) this.#emit({ type: 'warning', message: `the host about result ${d.verdict.id}: ${message}` });
    }
  }
}
