import type { z } from 'zod';
import { ErrorBody } from '../protocol/index.ts';
import type { CohortPaths } from '../protocol/node/paths.ts';
import { terminalSafe } from '../protocol/terminal-text.ts';
import { readHostState, type HostState } from '../main/state-file.ts';

/** A failure the CLI shows as one line, without a stack trace. */
export class CliError extends Error {
  override name = 'CliError';
}

/** Talks to the running host's loopback owner listener, found through the state file. */
export class OwnerClient {
  readonly state: HostState;

  private constructor(state: HostState) {
    this.state = state;
  }

  /** The host of `program`, or the only one running here. */
  static async connect(paths: CohortPaths, program?: string): Promise<OwnerClient> {
    try {
      return new OwnerClient(await readHostState(paths, program));
    } catch (err) {
      throw new CliError((err as Error).message);
    }
  }

  async #fetch(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(`${this.state.ownerUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.state.ownerToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (err) {
      throw new CliError(`Cannot reach the Cohort host at ${this.state.ownerUrl} (${(err as Error).message}). Is \`cohort publish\` still running?`);
    }
    if (!res.ok) {
      const body = ErrorBody.safeParse(await res.json().catch(() => null));
      // The host's message can quote what a stranger sent (a name, a code).
      throw new CliError(body.success ? terminalSafe(body.data.message) : `The host answered ${res.status} ${res.statusText}.`);
    }
    return res;
  }

  async get<S extends z.ZodType>(path: string, schema: S): Promise<z.output<S>> {
    return this.#parse(await this.#fetch('GET', path), schema);
  }

  /** A POST; `body`, when given, goes as JSON. */
  async post<S extends z.ZodType>(path: string, schema: S, body?: unknown): Promise<z.output<S>> {
    return this.#parse(await this.#fetch('POST', path, body), schema);
  }

  async text(path: string): Promise<string> {
    return (await this.#fetch('GET', path)).text();
  }

  async #parse<S extends z.ZodType>(res: Response, schema: S): Promise<z.output<S>> {
    const parsed = schema.safeParse(await res.json());
    if (!parsed.success) throw new CliError('The host sent an answer this version of cohort does not understand; are both the same version?');
    return parsed.data;
  }
}
