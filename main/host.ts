import type { FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { TunnelStatus } from '../protocol/index.ts';
import { ServiceError } from './errors.ts';
import { EventBus } from './events.ts';
import { DeviceFlow, type DeviceFlowLimits } from './groupauth/device-flow.ts';
import { buildOwnerServer } from './http/owner-server.ts';
import { buildPublicServer } from './http/public-server.ts';
import type { HostServices } from './http/services.ts';
import { KnowledgeBase, type ProgramSnapshot } from './kb/knowledge-base.ts';
import { cohortPaths, kbPath, type CohortPaths } from '../protocol/node/paths.ts';
import { removeHostState, writeHostState } from './state-file.ts';
import { lockKb } from './life/kb-lock.ts';
import { checkKbFile, damagedKb, foreignKb, isCorruption, KbIntegrityError } from './life/kb-integrity.ts';
import { checkKbNotLost, recordKbHistory } from './life/kb-history.ts';
import { listenStable, type AddressMemory } from './life/stable-address.ts';
import type { KbStore } from './store/kb-store.ts';
import { SqliteKbStore } from './store/sqlite-store.ts';
import type { BackoffOptions } from './tunnel/backoff.ts';
import { CloudflaredTunnel, tunnelNotFound, tunnelOff } from './tunnel/cloudflared-tunnel.ts';

/** Where `npm run build:renderer` puts the UI; the owner listener serves it when it is there. */
export const BUILT_RENDERER = fileURLToPath(new URL('../renderer/dist', import.meta.url));

/** A cloudflared quick tunnel in front of the public listener (see docs/host.md, "Tunnel"). */
export interface HostTunnelOptions {
  /** The cloudflared executable (`findCloudflared()`), or null when none was found: the status then says how to install it. */
  binary: string | null;
  /** Give up when cloudflared prints no URL this long after a start (default 30 s). */
  timeoutMs?: number;
  /** Restart timings after cloudflared exits (default 1 s doubling up to 60 s). */
  backoff?: Partial<BackoffOptions>;
  /** Extra environment for cloudflared. */
  env?: Record<string, string>;
  /** After SIGTERM, wait this long for cloudflared before SIGKILL (default 5 s). */
  killGraceMs?: number;
}

export interface HostOptions {
  program: ProgramSnapshot & { dir: string };
  /** Public listener address; 127.0.0.1 unless the owner asks for a LAN (`0.0.0.0`). Always 127.0.0.1 with a tunnel. */
  host?: string;
  /**
   * Run a cloudflared quick tunnel to the public listener (default false: no tunnel). With a binary,
   * the public listener binds 127.0.0.1 only and client addresses come from `Cf-Connecting-Ip`.
   */
  tunnel?: HostTunnelOptions | false;
  /** Public listener port; 0 lets the OS pick; left out, the port of the last start (else a free one). */
  port?: number;
  /** Owner listener port (always 127.0.0.1); 0 lets the OS pick. */
  ownerPort?: number;
  membership?: 'invite' | 'open';
  paths?: CohortPaths;
  /** Where the KB lives; defaults to the program's file under the data dir. */
  kbFile?: string;
  /** The built UI to serve on the owner listener (default: renderer/dist when built; null: a placeholder page). */
  rendererDir?: string | null;
  /** Write the state file for the CLI (default true). */
  writeState?: boolean;
  logger?: boolean | { level: string };
  /** Hears what the owner should know while the host starts (a KB file being updated to a newer schema). */
  onNotice?: (line: string) => void;
  now?: () => number;
  limits?: Partial<DeviceFlowLimits>;
  intervalSeconds?: number;
  lifetimeSeconds?: number;
}

export interface RunningHost {
  /** What members use: the tunnel URL while the tunnel is up, else the public listener's own URL. */
  readonly publicUrl: string;
  /** The public listener's own URL (loopback or LAN), whatever the tunnel does. */
  listenerUrl: string;
  /** The tunnel's state now; changes are published on `bus` as `tunnel` events. */
  readonly tunnel: TunnelStatus;
  ownerUrl: string;
  /** The owner UI in a browser; the token rides in the fragment, which is never sent. */
  ownerUiUrl: string;
  ownerToken: string;
  /** `cohort join <publicUrl>`. */
  readonly joinCommand: string;
  kbFile: string;
  /** Where the public address stands against the last start (see life/stable-address.ts). */
  address: AddressMemory;
  kb: KnowledgeBase;
  auth: DeviceFlow;
  bus: EventBus;
  /** What the route plugins use; the app's listener serves owner routes over the same. */
  services: HostServices;
  close(): Promise<void>;
}

function urlOf(app: FastifyInstance, shownHost: string): string {
  const { port } = app.server.address() as AddressInfo;
  return `http://${shownHost}:${port}`;
}

/**
 * Starts the owner host: opens the program's KB, then the public listener (device flow + member
 * API) and the loopback owner listener, and writes the state file. `close()` stops taking requests,
 * lets accepted submissions reach the disk, and closes the KB.
 */
export async function startHost(opts: HostOptions): Promise<RunningHost> {
  const paths = opts.paths ?? cohortPaths();
  const kbFile = opts.kbFile ?? kbPath(paths, opts.program.spec.name);
  const name = opts.program.spec.name;
  // One host per KB: refuse before touching the KB or anyone's state file.
  const lock = await lockKb(kbFile, name);
  let store: KbStore;
  try {
    await checkKbNotLost(kbFile, await checkKbFile(kbFile));
    store = SqliteKbStore.open(kbFile, {
      // Schema 3 rebuilds the results table: seconds per million results, once; say so before it starts.
      onMigrate: (m) => opts.onNotice?.(`Updating the KB file to schema ${m.version} (${m.description}); with many results this takes a while, once.`),
    });
  } catch (err) {
    await lock.release();
    throw isCorruption(err) ? damagedKb(kbFile, err) : err;
  }
  const bus = new EventBus();
  const apps: FastifyInstance[] = [];
  try {
    const owner = await store.getMeta('program');
    if (owner !== null && owner !== name) throw foreignKb(kbFile, owner, name);
    if (owner === null) await store.setMeta('program', name);
    const kb = await KnowledgeBase.open({ store, program: opts.program, bus, ...(opts.now ? { now: opts.now } : {}) }).catch((err: unknown) => {
      throw isCorruption(err) ? damagedKb(kbFile, err) : err;
    });
    // What the KB holds, beside it: written now, once more when a fresh KB gets its first member or
    // result, and at close, so that a deleted KB is noticed at the next start (life/kb-history.ts).
    const recordHistory = async () => recordKbHistory(kbFile, { program: name, results: kb.total, members: (await store.listMembers()).length });
    await recordHistory();
    let historyWrites: Promise<unknown> = Promise.resolve();
    if (kb.total === 0 && (await store.listMembers()).length === 0) {
      const stop = bus.subscribe((event) => {
        if (event.type !== 'result' && event.type !== 'member-joined') return;
        stop();
        historyWrites = recordHistory().catch(() => undefined);
      });
    }
    const auth = new DeviceFlow({
      store,
      bus,
      membership: opts.membership ?? opts.program.spec.membership,
      ...(opts.program.spec.requires !== undefined ? { requires: opts.program.spec.requires } : {}),
      ...(opts.now ? { now: opts.now } : {}),
      ...(opts.limits ? { limits: opts.limits } : {}),
      ...(opts.intervalSeconds !== undefined ? { intervalSeconds: opts.intervalSeconds } : {}),
      ...(opts.lifetimeSeconds !== undefined ? { lifetimeSeconds: opts.lifetimeSeconds } : {}),
    });
    const ownerToken = randomBytes(32).toString('base64url');
    const tunnelOpts = opts.tunnel || null;
    // Tunnelled: cloudflared on this machine is the only way in from outside, so its
    // Cf-Connecting-Ip header is the client address. That holds only while nothing else can reach
    // the listener, hence loopback only.
    const tunnelled = tunnelOpts !== null && tunnelOpts.binary !== null;
    if (tunnelled && opts.host !== undefined && opts.host !== '127.0.0.1' && opts.host !== 'localhost') {
      throw new ServiceError('bad_request', `The tunnel needs the public listener on 127.0.0.1, not ${opts.host}: leave --host out to use the tunnel, or pass --no-tunnel to serve a LAN.`);
    }
    let listenerUrl = '';
    let tunnel: CloudflaredTunnel | null = null;
    const staticTunnel: TunnelStatus = tunnelOpts === null ? tunnelOff() : tunnelNotFound();
    const tunnelStatus = (): TunnelStatus => tunnel?.status ?? staticTunnel;
    const publicUrl = () => tunnel?.url ?? listenerUrl;
    let previousUrl: string | null = null;
    const services: HostServices = { kb, auth, bus, tunnelled, publicUrl, tunnel: tunnelStatus, previousPublicUrl: () => previousUrl };

    const bindHost = tunnelled ? '127.0.0.1' : (opts.host ?? '127.0.0.1');
    const publicApp = await buildPublicServer(services, { logger: opts.logger ?? false });
    apps.push(publicApp);
    const address = await listenStable(publicApp, { host: bindHost, port: opts.port, store, tunnelled });
    previousUrl = address.previousUrl;
    listenerUrl = urlOf(publicApp, bindHost === '0.0.0.0' || bindHost === '::' ? lanAddress() : bindHost);
    if (!tunnelled) await address.remember(listenerUrl);

    const ownerApp = await buildOwnerServer(() => services, { ownerToken, rendererDir: opts.rendererDir === undefined ? BUILT_RENDERER : opts.rendererDir, logger: opts.logger ?? false });
    apps.push(ownerApp);
    await ownerApp.listen({ host: '127.0.0.1', port: opts.ownerPort ?? 0 });
    const ownerUrl = urlOf(ownerApp, '127.0.0.1');
    await lock.update({ publicUrl: listenerUrl, ownerUrl });

    const state = {
      pid: process.pid,
      program: opts.program.spec.name,
      programDir: opts.program.dir,
      kbPath: kbFile,
      ownerUrl,
      ownerToken,
      startedAt: new Date().toISOString(),
    };
    const writeState = opts.writeState !== false;
    if (writeState) await writeHostState(paths, { ...state, publicUrl: publicUrl() });

    let closing = false;
    // The state file follows the tunnel, so `cohort status` and friends show the URL members use.
    let stateWrites: Promise<unknown> = Promise.resolve();
    const saveState = () => {
      if (!writeState || closing) return;
      stateWrites = stateWrites.then(() => (closing ? undefined : writeHostState(paths, { ...state, publicUrl: publicUrl() }))).catch(() => undefined);
    };

    if (tunnelOpts !== null && tunnelOpts.binary !== null) {
      tunnel = new CloudflaredTunnel({
        binary: tunnelOpts.binary,
        target: listenerUrl,
        ...(tunnelOpts.timeoutMs !== undefined ? { timeoutMs: tunnelOpts.timeoutMs } : {}),
        ...(tunnelOpts.backoff ? { backoff: tunnelOpts.backoff } : {}),
        ...(tunnelOpts.env ? { env: tunnelOpts.env } : {}),
        ...(tunnelOpts.killGraceMs !== undefined ? { killGraceMs: tunnelOpts.killGraceMs } : {}),
        ...(opts.now ? { now: opts.now } : {}),
      });
      let lastUrl: string | null = null;
      tunnel.subscribe((status) => {
        bus.publish({ type: 'tunnel', tunnel: status });
        const url = status.state === 'up' ? (status.url ?? null) : null;
        if (url !== lastUrl) {
          lastUrl = url;
          saveState();
          if (url !== null && !closing) {
            address.remember(url).catch(() => undefined);
            lock.update({ publicUrl: url, ownerUrl }).catch(() => undefined);
          }
        }
      });
      tunnel.start();
    }
    const runningTunnel = tunnel;

    let closed: Promise<void> | null = null;
    return {
      get publicUrl() {
        return publicUrl();
      },
      listenerUrl,
      get tunnel() {
        return tunnelStatus();
      },
      ownerUrl,
      ownerUiUrl: `${ownerUrl}/#token=${ownerToken}`,
      ownerToken,
      get joinCommand() {
        return `cohort join ${publicUrl()}`;
      },
      kbFile,
      address,
      kb,
      auth,
      bus,
      services,
      close() {
        closed ??= (async () => {
          // The tunnel first (no new outside traffic, no orphaned cloudflared), then the owner
          // listener (its SSE streams are long-lived), then members; then drain and close the KB.
          closing = true;
          await runningTunnel?.stop();
          await stateWrites;
          await Promise.allSettled(apps.reverse().map((a) => a.close()));
          await kb.drain();
          await historyWrites;
          await recordHistory().catch(() => undefined);
          await store.close();
          if (opts.writeState !== false) await removeHostState(paths, name);
          await lock.release();
        })();
        return closed;
      },
    };
  } catch (err) {
    await Promise.allSettled(apps.map((a) => a.close()));
    await store.close();
    await lock.release();
    throw err instanceof KbIntegrityError || !isCorruption(err) ? err : damagedKb(kbFile, err);
  }
}


/** The first non-internal IPv4 address, for the URL shown when listening on all interfaces. */
function lanAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}
