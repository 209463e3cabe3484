/**
 * The server side of `npm run bench`, run as a child process so that the load generator does not
 * share its event loop: the real host (startHost, a temporary Cohort home, open membership) and a
 * bare fastify app on another loopback port, as the yardstick.
 *
 * Prints one JSON line on stdout once both listen ({publicUrl, bareUrl, kbFile}); stops, drains the
 * KB and removes its temporary home on SIGTERM, SIGINT or when stdin closes.
 *
 * The bare app also answers `GET /stats` (not a benchmarked route): this process's CPU time and
 * the results on disk, counted by status with a separate read-only SQLite connection.
 */
import Fastify from 'fastify';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { DatabaseSync } from 'node:sqlite';
import { startHost } from '../main/host.ts';
import { sampleProgram } from '../main/testing/harness.ts';

export interface ServerInfo {
  publicUrl: string;
  bareUrl: string;
  kbFile: string;
  pid: number;
}

export interface ServerStats {
  /** process.cpuUsage() of the server process, in microseconds. */
  cpu: { user: number; system: number };
  /** How late this process's event loop ran since the previous `/stats?reset=1`, in ms. */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  /** Results on disk by status (keep, discard, duplicate, crash). */
  results: Record<string, number>;
  champions: number;
  /** Distinct members with at least one result. */
  submitters: number;
}

const home = await mkdtemp(join(tmpdir(), 'cohort-bench-'));
const paths = { configDir: join(home, 'config'), dataDir: join(home, 'data') };

const host = await startHost({
  // The bench measures throughput, far past what a member may send: quotas at their maximum.
  program: sampleProgram({ name: 'bench', quota: { storage_mb: 1_048_576, submissions_per_hour: 1_000_000 } }),
  paths,
  writeState: false,
  logger: false,
  membership: 'open',
  limits: { pendingPerIp: 1000, pendingTotal: 1000 },
}).catch(async (err: unknown) => {
  await rm(home, { recursive: true, force: true });
  throw err;
});

const bare = Fastify({ logger: false });
bare.get('/bare', async () => ({ ok: true }));
// The same JSON body as POST /api/results, parsed by fastify's JSON parser, and nothing else.
bare.post('/bare', { bodyLimit: 1024 * 1024 }, async (request, reply) => {
  const body = request.body as { value?: unknown } | null;
  if (body === null || typeof body !== 'object') return reply.code(400).send({ ok: false });
  return reply.code(201).send({ ok: true });
});

// Long synchronous stretches (an fsync at COMMIT, a WAL checkpoint, a GC pause) show up here.
const loopDelay = monitorEventLoopDelay({ resolution: 5 });
loopDelay.enable();
const ms = (ns: number): number => Math.round(ns / 1e4) / 100;

let reader: DatabaseSync | null = null;
bare.get<{ Querystring: { reset?: string } }>('/stats', async (request): Promise<ServerStats> => {
  const eventLoopDelayMs = { p50: ms(loopDelay.percentile(50)), p99: ms(loopDelay.percentile(99)), max: ms(loopDelay.max) };
  if (request.query.reset !== undefined) loopDelay.reset();
  reader ??= new DatabaseSync(host.kbFile, { readOnly: true });
  const rows = reader.prepare('SELECT status, count(*) AS n, sum(champion) AS c FROM results GROUP BY status').all() as {
    status: string;
    n: number;
    c: number;
  }[];
  const results: Record<string, number> = {};
  let champions = 0;
  for (const r of rows) {
    results[r.status] = Number(r.n);
    champions += Number(r.c ?? 0);
  }
  const submitters = Number((reader.prepare('SELECT count(DISTINCT member_id) AS n FROM results').get() as { n: number }).n);
  return { cpu: process.cpuUsage(), eventLoopDelayMs, results, champions, submitters };
});

await bare.listen({ host: '127.0.0.1', port: 0 });
const { port } = bare.server.address() as AddressInfo;

let stopping: Promise<void> | null = null;
function stop(): Promise<void> {
  stopping ??= (async () => {
    try {
      await Promise.allSettled([bare.close(), host.close()]);
      reader?.close();
    } finally {
      await rm(home, { recursive: true, force: true });
    }
    process.exit(0);
  })();
  return stopping;
}

process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
process.stdin.on('end', () => void stop());
process.stdin.on('close', () => void stop());
process.stdin.resume();

const info: ServerInfo = { publicUrl: host.publicUrl, bareUrl: `http://127.0.0.1:${port}`, kbFile: host.kbFile, pid: process.pid };
process.stdout.write(`${JSON.stringify(info)}\n`);
