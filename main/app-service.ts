import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { PublishRequest, type AppInfo, type InvalidProgramBody, type ProgramManifest, type PublishResponse } from '../protocol/index.ts';
import type { CohortPaths } from '../protocol/node/paths.ts';
import { ServiceError } from './errors.ts';
import { BUILT_RENDERER, startHost, type HostOptions, type RunningHost } from './host.ts';
import { parseWith } from './http/errors.ts';
import { buildOwnerServer } from './http/owner-server.ts';
import { validateProgramDir } from './program/load-program.ts';

export interface AppServiceOptions {
  paths: CohortPaths;
  /** Port on 127.0.0.1; 0 lets the OS pick. */
  port?: number;
  /** The built UI (default: renderer/dist when built). */
  rendererDir?: string | null;
  /** The worker's routes (from worker-runtime); when given, the UI offers the worker view. */
  workerRoutes?: FastifyPluginAsync;
  /** How a program published from the UI is hosted (public port and address, tunnel…). */
  hostOptions?: Omit<HostOptions, 'program' | 'paths' | 'rendererDir'>;
  logger?: boolean | { level: string };
}

export interface RunningAppService {
  /** `http://127.0.0.1:PORT`; every API route wants `token`. */
  url: string;
  /** The UI in a browser; the token rides in the fragment, which is never sent. */
  uiUrl: string;
  token: string;
  /** The host of the published program, once there is one. */
  host(): RunningHost | null;
  /** Validates the folder and hosts it; throws `InvalidProgramError` with every issue. */
  publish(dir: string): Promise<RunningHost>;
  /** What the published program ships to members, once there is one. */
  shipped(): ProgramManifest | null;
  close(): Promise<void>;
}

/** A folder that is not a valid program; `body` is what the UI shows, issue by issue. */
export class InvalidProgramError extends ServiceError {
  readonly body: InvalidProgramBody;

  constructor(body: InvalidProgramBody) {
    super(body.error, body.message);
    this.body = body;
  }
}

/** `~/x` as the shell would read it; anything else relative to where the app was started. */
function expandDir(dir: string): string {
  const trimmed = dir.trim();
  if (trimmed === '~' || trimmed.startsWith('~/')) return resolve(homedir(), trimmed.slice(2));
  return resolve(trimmed);
}

/**
 * The app's loopback listener (the desktop app, `cohort app`): the UI, the owner routes of the
 * program published from it, and the worker's routes, all behind one token and the owner guard.
 * Unlike `cohort publish`, it starts without a program: the UI publishes one (`POST /api/app/publish`).
 */
export async function startAppService(opts: AppServiceOptions): Promise<RunningAppService> {
  const token = randomBytes(32).toString('base64url');
  let host: RunningHost | null = null;
  let publishing: Promise<RunningHost> | null = null;
  /** What the published program ships, for the publish response. */
  let shipped: ProgramManifest | null = null;

  const publish = (dir: string): Promise<RunningHost> => {
    if (host !== null) return Promise.reject(new ServiceError('conflict', `This app already hosts "${host.kb.spec.name}"; quit it to publish another program.`));
    if (publishing !== null) return Promise.reject(new ServiceError('conflict', 'A program is being published already.'));
    publishing = (async () => {
      const full = expandDir(dir);
      const checked = await validateProgramDir(full);
      if (!checked.ok) {
        const [first] = checked.errors;
        throw new InvalidProgramError({
          error: 'invalid_program',
          message: checked.errors.length === 1 ? `${full} is not a valid research program: ${first!.message}` : `${full} is not a valid research program (${checked.errors.length} problems).`,
          dir: full,
          issues: checked.errors.map((i) => ({ file: i.file, field: i.field ?? null, line: i.line ?? null, message: i.message })),
        });
      }
      host = await startHost({ ...opts.hostOptions, program: checked.program, paths: opts.paths, rendererDir: null });
      shipped = checked.program.manifest;
      return host;
    })().finally(() => {
      publishing = null;
    });
    return publishing;
  };

  const appRoutes: FastifyPluginAsync = async (app) => {
    app.post('/api/app/publish', async (request, reply) => {
      const { dir } = parseWith(PublishRequest, request.body ?? {}, 'The publish request');
      try {
        const running = await publish(dir);
        const body: PublishResponse = { program: running.kb.spec.name, dir: expandDir(dir), public_url: running.publicUrl, manifest: shipped! };
        return await reply.code(201).send(body);
      } catch (err) {
        if (err instanceof InvalidProgramError) return reply.code(err.status).send(err.body); // the error body, with each issue
        throw err;
      }
    });
  };

  const appInfo = (): AppInfo => ({
    views: opts.workerRoutes ? ['owner', 'worker'] : ['owner'],
    can_publish: true,
    program: host?.kb.spec.name ?? null,
  });

  const server: FastifyInstance = await buildOwnerServer(() => host?.services ?? null, {
    ownerToken: token,
    rendererDir: opts.rendererDir === undefined ? BUILT_RENDERER : opts.rendererDir,
    routes: [appRoutes, ...(opts.workerRoutes ? [opts.workerRoutes] : [])],
    appInfo,
    logger: opts.logger ?? false,
  });
  await server.listen({ host: '127.0.0.1', port: opts.port ?? 0 });
  const { port } = server.server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  let closed: Promise<void> | null = null;
  return {
    url,
    uiUrl: `${url}/#token=${token}`,
    token,
    host: () => host,
    publish,
    shipped: () => shipped,
    close() {
      closed ??= (async () => {
        // The UI's streams first (they follow the host's events), then the host drains its KB.
        await server.close();
        await publishing?.catch(() => undefined);
        await host?.close();
      })();
      return closed;
    },
  };
}
