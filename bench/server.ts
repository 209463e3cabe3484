/**
 * The server side of `npm run bench`, run as a child process so that the load generator does not
 * share its event loop: the real host (startHost, a temporary Cohort home, open membership) and a
 * bare fastify app on another loopback port, as the yardstick.
 *
 * BENCH_HOME names a Cohort home whose KB bench/seed.ts filled (BENCH_SEEDED results in it); the
 * host opens it, and how long that took and the memory it holds then are part of the answer.
 * Without it, a fresh temporary home.
 *
 * Prints one JSON line on stdout once both listen ({publicUrl, bareUrl, kbFile, open}); stops, drains
 * the KB and removes its home on SIGTERM, SIGINT or when stdin closes.
 *
 * The bare app also answers `GET /stats` (not a benchmarked route): this process's CPU time and
 * memory, and the results the bench added (after the seeded ones), counted by status with a
 * separate read-only SQLite connection.
 */
import Fastify from 'fastify';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { DatabaseSync } from 'node:sqlite';
import { startHost } from '../main/host.ts';
import { benchProgram } from './seed.ts';

export interface ServerInfo {
  publicUrl: string;
  bareUrl: string;
  kbFile: string;
  pid: number;
  /** Opening the KB (startHost, which folds every stored result) and what the process holds right after. */
  open: { ms: number; rssMB: number; heapUsedMB: number };
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
  /** Resident memory now and at its peak (the whole process), in MiB. */
  rssMB: number;
  maxRssMB: number;
}

const home = process.env.BENCH_HOME ?? (await mkdtemp(join(tmpdir(), 'cohort-bench-')));
const seeded = Number(process.env.BENCH_SEEDED ?? 0);
const paths = { configDir: join(home, 'config'), dataDir: join(home, 'data') };
const mib = (bytes: number): number => Math.round(bytes / 1024 / 1024);

const openStart = performance.now();
const host = await startHost({
  program: benchProgram(),
  paths,
  writeState: false,
  logger: process.env.BENCH_LOG ? { level: 'error' } : false,
  membership: 'open',
  limits: { pendingPerIp: 1000, pendingTotal: 1000 },
}).catch(async (err: unknown) => {
  await rm(home, { recursive: true, force: true });
  throw err;
});

const openMs = Math.round(performance.now() - openStart);
const afterOpen = process.memoryUsage();

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
  // Only what the bench added: the seeded results are counted by bench/seed.ts.
  const rows = reader.prepare('SELECT status, count(*) AS n, sum(champion) AS c FROM results WHERE seq > ? GROUP BY status').all(seeded) as {
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
  const submitters = Number((reader.prepare('SELECT count(DISTINCT member_id) AS n FROM results WHERE seq > ?').get(seeded) as { n: number }).n);
  return { cpu: process.cpuUsage(), eventLoopDelayMs, results, champions, submitters, rssMB: mib(process.memoryUsage().rss), maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024) };
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

const info: ServerInfo = {
  publicUrl: host.publicUrl,
  bareUrl: `http://127.0.0.1:${port}`,
  kbFile: host.kbFile,
  pid: process.pid,
  open: { ms: openMs, rssMB: mib(afterOpen.rss), heapUsedMB: mib(afterOpen.heapUsed) },
};
process.stdout.write(`${JSON.stringify(info)}\n`);
