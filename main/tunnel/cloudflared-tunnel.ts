import { spawn, type ChildProcess } from 'node:child_process';
import type { TunnelStatus } from '../../protocol/index.ts';
import { Backoff, type BackoffOptions } from './backoff.ts';
import { installHint } from './install-hint.ts';
import { OutputTail } from './output-tail.ts';
import { QuickTunnelUrlDetector } from './url-detector.ts';

export const DEFAULT_TUNNEL_TIMEOUT_MS = 30_000;
const DEFAULT_KILL_GRACE_MS = 5_000;

export interface TunnelOptions {
  /** The cloudflared executable (see `findCloudflared`). */
  binary: string;
  /** What the tunnel forwards to: the public listener, `http://127.0.0.1:PORT`. */
  target: string;
  /** Give up when cloudflared has printed no URL this long after a start (default 30 s). */
  timeoutMs?: number;
  /** Restart timings after cloudflared exits (default 1 s doubling up to 60 s). */
  backoff?: Partial<BackoffOptions>;
  /** Extra environment for cloudflared (on top of this process's). */
  env?: Record<string, string>;
  /** After SIGTERM, wait this long for cloudflared to exit before SIGKILL (default 5 s). */
  killGraceMs?: number;
  now?: () => number;
}

export type TunnelListener = (status: TunnelStatus) => void;

/** The status of a host started without a tunnel. */
export function tunnelOff(reason?: string): TunnelStatus {
  return reason === undefined ? { state: 'off' } : { state: 'off', reason };
}

/** The status when no cloudflared binary was found. */
export function tunnelNotFound(platform: NodeJS.Platform = process.platform): TunnelStatus {
  return { state: 'not-found', reason: 'cloudflared was not found, so there is no tunnel: the host is reachable only as its listener allows.', hint: installHint(platform) };
}

function seconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

/**
 * Runs a cloudflared quick tunnel (`cloudflared tunnel --no-autoupdate --url TARGET`) and keeps it
 * running: it watches stdout and stderr for the `https://<name>.trycloudflare.com` URL, gives up
 * when none comes within the timeout (the host carries on without a tunnel), and starts cloudflared
 * again with exponential backoff whenever it exits. `stop()` ends the child (SIGTERM, then SIGKILL)
 * and resolves once it has exited.
 */
export class CloudflaredTunnel {
  readonly binary: string;
  readonly target: string;
  readonly timeoutMs: number;
  #opts: TunnelOptions;
  #now: () => number;
  #backoff: Backoff;
  #status: TunnelStatus;
  #listeners = new Set<TunnelListener>();
  #child: ChildProcess | null = null;
  #tail = new OutputTail();
  #attempt = 0;
  #upSince: number | null = null;
  #gaveUp = false;
  #urlTimer: NodeJS.Timeout | null = null;
  #retryTimer: NodeJS.Timeout | null = null;
  #started = false;
  #stopping: Promise<void> | null = null;
  /** A host that exits without `stop()` (process.exit, an uncaught error) must not leave cloudflared behind. */
  #onProcessExit = () => {
    this.#child?.kill('SIGKILL');
  };

  constructor(opts: TunnelOptions) {
    this.#opts = opts;
    this.binary = opts.binary;
    this.target = opts.target;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TUNNEL_TIMEOUT_MS;
    this.#now = opts.now ?? Date.now;
    this.#backoff = new Backoff(opts.backoff);
    this.#status = { state: 'off', binary: opts.binary };
  }

  get status(): TunnelStatus {
    return { ...this.#status };
  }

  /** The URL while the tunnel is up, else null. */
  get url(): string | null {
    return this.#status.state === 'up' ? (this.#status.url ?? null) : null;
  }

  /** The process id of the running cloudflared, if any (for tests and diagnostics). */
  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  /** Called on every change of state; returns the unsubscribe function. */
  subscribe(listener: TunnelListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The last lines cloudflared printed (for diagnostics). */
  recentOutput(): string[] {
    return this.#tail.lines();
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    process.on('exit', this.#onProcessExit);
    this.#run();
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#clearTimers();
      process.off('exit', this.#onProcessExit);
      const child = this.#child;
      if (child !== null) await this.#terminate(child);
      this.#child = null;
      if (this.#started) this.#set({ state: 'off', reason: 'the host stopped', binary: this.binary });
    })();
    return this.#stopping;
  }

  #set(status: TunnelStatus): void {
    this.#status = status;
    for (const listener of this.#listeners) {
      try {
        listener({ ...status });
      } catch {
        // a listener's failure is its own; the tunnel goes on
      }
    }
  }

  #clearTimers(): void {
    if (this.#urlTimer !== null) clearTimeout(this.#urlTimer);
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    this.#urlTimer = this.#retryTimer = null;
  }

  #run(): void {
    this.#retryTimer = null;
    if (this.#stopping !== null) return;
    this.#attempt += 1;
    this.#upSince = null;
    this.#tail = new OutputTail();
    const attempt = this.#attempt;
    this.#set({ state: 'starting', binary: this.binary, attempt });

    const child = spawn(this.binary, ['tunnel', '--no-autoupdate', '--url', this.target], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...this.#opts.env },
      windowsHide: true,
    });
    this.#child = child;
    let ended = false;
    const end = (why: string | null) => {
      if (ended) return;
      ended = true;
      this.#ended(child, why);
    };

    const detectors = [new QuickTunnelUrlDetector(), new QuickTunnelUrlDetector()] as const;
    [child.stdout, child.stderr].forEach((stream, i) => {
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        this.#tail.feed(chunk);
        const url = detectors[i]!.feed(chunk);
        if (url !== null && this.#child === child && this.#status.state === 'starting') this.#up(url, attempt);
      });
      stream.on('error', () => {
        // the process's exit says what happened
      });
    });
    // 'close' comes after the exit and after the last output, so the reason is complete.
    child.on('close', (code, signal) => end(signal !== null ? `cloudflared was stopped by ${signal}` : `cloudflared exited with code ${code}`));
    child.on('error', (err) => {
      // Spawning failed (ENOENT, EACCES…): there will be no 'close'.
      if (child.pid === undefined) end(`cannot run ${this.binary}: ${err.message}`);
    });

    this.#urlTimer = setTimeout(() => this.#giveUp(child), this.timeoutMs);
    this.#urlTimer.unref();
  }

  #up(url: string, attempt: number): void {
    if (this.#urlTimer !== null) clearTimeout(this.#urlTimer);
    this.#urlTimer = null;
    this.#upSince = this.#now();
    this.#set({ state: 'up', url, binary: this.binary, attempt });
  }

  #giveUp(child: ChildProcess): void {
    this.#urlTimer = null;
    if (this.#child !== child || this.#stopping !== null) return;
    this.#gaveUp = true;
    const last = this.#tail.lastError();
    this.#set({
      state: 'down',
      binary: this.binary,
      attempt: this.#attempt,
      reason: `cloudflared printed no tunnel URL within ${seconds(this.timeoutMs)}; gave up on the tunnel, the host carries on without it${last ? ` (cloudflared said: ${last})` : ''}`,
    });
    void this.#terminate(child);
  }

  #ended(child: ChildProcess, why: string | null): void {
    if (this.#child !== child) return;
    this.#child = null;
    if (this.#urlTimer !== null) clearTimeout(this.#urlTimer);
    this.#urlTimer = null;
    if (this.#stopping !== null || this.#gaveUp) return;
    const attempt = this.#attempt;
    const upFor = this.#upSince === null ? 0 : this.#now() - this.#upSince;
    // A tunnel that stayed up was healthy: count the next start as a first one again.
    if (upFor > 0 && upFor >= this.#backoff.options.stableMs) this.#attempt = 0;
    const delay = this.#backoff.next(upFor);
    const last = this.#tail.lastError();
    this.#set({
      state: 'down',
      binary: this.binary,
      attempt,
      reason: `${why ?? 'cloudflared exited'}${last ? `: ${last}` : ''}`,
      retry_at: new Date(this.#now() + delay).toISOString(),
    });
    this.#retryTimer = setTimeout(() => this.#run(), delay);
    this.#retryTimer.unref();
  }

  /** SIGTERM, then SIGKILL after the grace period; resolves once the process has exited. */
  async #terminate(child: ChildProcess): Promise<void> {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), this.#opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
    });
    if ((await Promise.race([exited, graceOver])) === 'late') {
      child.kill('SIGKILL');
      await exited;
    }
    clearTimeout(timer);
    // Output pipes held open by anything cloudflared left behind must not keep us waiting.
    child.stdout?.destroy();
    child.stderr?.destroy();
  }
}
