import type { CodeResponse, LineageResponse, ResultsResponse, ResultVerdict, StatusResponse, SubmitResultRequest, TaskResponse } from '../../protocol/index.ts';
import type { Membership } from '../credentials.ts';
import type { Emit } from '../events.ts';
import { MemberClient, type ResultsQuery } from '../member-client.ts';
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
  readonly #policy: RetryPolicy;
  readonly #emit: Emit;
  readonly #signal: AbortSignal | undefined;

  constructor(opts: HostSessionOptions) {
    this.membership = opts.membership;
    this.client = opts.client ?? new MemberClient(opts.membership.url, opts.membership.token);
    this.outbox = new Outbox(opts.outboxDir, opts.membership);
    this.#policy = retryPolicy(opts.retry);
    this.#emit = opts.emit ?? (() => undefined);
    this.#signal = opts.signal;
  }

  #call<T>(request: (client: MemberClient) => Promise<T>): Promise<T> {
    return retrying(() => request(this.client), {
      policy: this.#policy,
      ...(this.#signal ? { signal: this.#signal } : {}),
      onRetry: (r) => this.#emit({ type: 'retry', ...r }),
    });
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
      onRetry: (r) => this.#emit({ type: 'retry', attempt: r.attempt, delayMs: r.delayMs, reason: r.reason }),
      onRejected: (key, reason, movedTo) => this.#emit({ type: 'rejected', key, reason, movedTo }),
    });
    for (const d of delivered) {
      this.submitted.push(d.verdict);
      this.#emit({ type: 'submitted', verdict: d.verdict, replayed: d.replayed });
    }
  }
}
