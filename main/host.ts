import type { FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { fileURLToPath } from 'node:url';
import { EventBus } from './events.ts';
import { DeviceFlow, type DeviceFlowLimits } from './groupauth/device-flow.ts';
import { buildOwnerServer } from './http/owner-server.ts';
import { buildPublicServer } from './http/public-server.ts';
import type { HostServices } from './http/services.ts';
import { KnowledgeBase, type ProgramSnapshot } from './kb/knowledge-base.ts';
import { cohortPaths, kbPath, type CohortPaths } from '../protocol/paths.ts';
import { removeHostState, writeHostState } from './state-file.ts';
import type { KbStore } from './store/kb-store.ts';
import { SqliteKbStore } from './store/sqlite-store.ts';

/** Where `npm run build:renderer` puts the UI; the owner listener serves it when it is there. */
export const BUILT_RENDERER = fileURLToPath(new URL('../renderer/dist', import.meta.url));

export interface HostOptions {
  program: ProgramSnapshot & { dir: string };
  /** Public listener address; 127.0.0.1 unless the owner asks for a LAN (`0.0.0.0`). */
  host?: string;
  /** Public listener port; 0 lets the OS pick. */
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
  now?: () => number;
  limits?: Partial<DeviceFlowLimits>;
  intervalSeconds?: number;
  lifetimeSeconds?: number;
}

export interface RunningHost {
  publicUrl: string;
  ownerUrl: string;
  /** The owner UI in a browser; the token rides in the fragment, which is never sent. */
  ownerUiUrl: string;
  ownerToken: string;
  joinCommand: string;
  kbFile: string;
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
  const store: KbStore = SqliteKbStore.open(kbFile);
  const bus = new EventBus();
  const apps: FastifyInstance[] = [];
  try {
    const kb = await KnowledgeBase.open({ store, program: opts.program, bus, ...(opts.now ? { now: opts.now } : {}) });
    const auth = new DeviceFlow({
      store,
      bus,
      membership: opts.membership ?? opts.program.spec.membership,
      ...(opts.now ? { now: opts.now } : {}),
      ...(opts.limits ? { limits: opts.limits } : {}),
      ...(opts.intervalSeconds !== undefined ? { intervalSeconds: opts.intervalSeconds } : {}),
      ...(opts.lifetimeSeconds !== undefined ? { lifetimeSeconds: opts.lifetimeSeconds } : {}),
    });
    const ownerToken = randomBytes(32).toString('base64url');
    let publicUrl = '';
    const services: HostServices = { kb, auth, bus, tunnelled: false, publicUrl: () => publicUrl };

    const bindHost = opts.host ?? '127.0.0.1';
    const publicApp = await buildPublicServer(services, { logger: opts.logger ?? false });
    apps.push(publicApp);
    await publicApp.listen({ host: bindHost, port: opts.port ?? 0 });
    publicUrl = urlOf(publicApp, bindHost === '0.0.0.0' || bindHost === '::' ? lanAddress() : bindHost);

    const ownerApp = await buildOwnerServer(() => services, { ownerToken, rendererDir: opts.rendererDir === undefined ? BUILT_RENDERER : opts.rendererDir, logger: opts.logger ?? false });
    apps.push(ownerApp);
    await ownerApp.listen({ host: '127.0.0.1', port: opts.ownerPort ?? 0 });
    const ownerUrl = urlOf(ownerApp, '127.0.0.1');

    if (opts.writeState !== false) {
      await writeHostState(paths, {
        pid: process.pid,
        program: opts.program.spec.name,
        programDir: opts.program.dir,
        kbPath: kbFile,
        publicUrl,
        ownerUrl,
        ownerToken,
        startedAt: new Date().toISOString(),
      });
    }

    let closed: Promise<void> | null = null;
    return {
      publicUrl,
      ownerUrl,
      ownerUiUrl: `${ownerUrl}/#token=${ownerToken}`,
      ownerToken,
      joinCommand: `cohort join ${publicUrl}`,
      kbFile,
      kb,
      auth,
      bus,
      services,
      close() {
        closed ??= (async () => {
          // Owner first (its SSE streams are long-lived), then members; then drain and close the KB.
          await Promise.allSettled(apps.reverse().map((a) => a.close()));
          await kb.drain();
          await store.close();
          if (opts.writeState !== false) await removeHostState(paths);
        })();
        return closed;
      },
    };
  } catch (err) {
    await Promise.allSettled(apps.map((a) => a.close()));
    await store.close();
    throw err;
  }
}


/** The first non-internal IPv4 address, for the URL shown when listening on all interfaces. */
function lanAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}
