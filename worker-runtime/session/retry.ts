import { HostUnavailableError } from '../member-client.ts';
import { sleep } from './sleep.ts';

/** How a worker waits out a host that is down: exponential backoff from `baseDelayMs` up to `maxDelayMs`. */
export interface RetryPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseDelayMs: 1_000, maxDelayMs: 60_000 };

export function retryPolicy(given?: Partial<RetryPolicy>): RetryPolicy {
  return { baseDelayMs: given?.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs, maxDelayMs: given?.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs };
}

/**
 * The wait before attempt `attempt + 1`: doubling, capped, with ±25 % jitter so that the workers of a
 * program whose host restarts do not all come back in the same millisecond.
 */
export function retryDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)) * (0.75 + random() * 0.5);
}

export interface RetryOptions {
  policy: RetryPolicy;
  /** Stops waiting: the last error is thrown. */
  signal?: AbortSignal;
  /** Gives up (throws the last error) once this long has passed since the first attempt; default never. */
  deadlineMs?: number;
  onRetry?: (info: { attempt: number; delayMs: number; reason: string }) => void;
}

/**
 * Calls `attempt` until it succeeds. Only HostUnavailableError (unreachable, 5xx, 408, 429, an answer lost
 * or not understood) is tried again; a refusal (NotAMemberError, RejectedError) or any other error is
 * thrown at once, because sending the same request again cannot change it.
 */
export async function retrying<T>(attempt: () => Promise<T>, opts: RetryOptions): Promise<T> {
  const started = Date.now();
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof HostUnavailableError) || opts.signal?.aborted) throw err;
      if (opts.deadlineMs !== undefined && Date.now() - started > opts.deadlineMs) throw err;
      // A host that said when to come back (Retry-After) is not asked sooner, nor later than the policy's longest wait.
      const delayMs = Math.max(retryDelay(opts.policy, n), Math.min(err.retryAfterMs ?? 0, opts.policy.maxDelayMs));
      opts.onRetry?.({ attempt: n, delayMs, reason: err.message });
      if (!(await sleep(delayMs, opts.signal))) throw err;
    }
  }
}
