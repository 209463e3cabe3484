/**
 * Test support: a host that serves whatever a malicious owner wants, speaking just enough of the
 * member API (docs/design.md, "Two listeners") for startWorker, over real HTTP on loopback. It records
 * every submission as sent, so a test can search them for things that must never leave a worker.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { TaskSpec, type ProgramFile, type TaskSpecInput } from '../../protocol/index.ts';

export interface HostileHost {
  url: string;
  /** Raw bodies of POST /api/results, in order. */
  submissions: string[];
  /** The `Cohort-Protocol` header of every request, in order. */
  protocols: (string | undefined)[];
  /**
   * How POST /api/results answers from now on: `respond` gets the raw body and the submission's
   * number (from 1) and returns a status and body to send instead, or null to record the result.
   */
  answerResults(respond: ((body: string, n: number) => { status: number; body: unknown; headers?: Record<string, string> } | null) | null): void;
  /** What GET /api/task answers from now on: files, or a raw body (to get past the worker's schema). */
  serve(files: ProgramFile[] | { raw: string }): void;
  close(): Promise<void>;
}

export async function startHostileHost(opts: { spec: TaskSpecInput; files: ProgramFile[] }): Promise<HostileHost> {
  const program = { spec: TaskSpec.parse(opts.spec), body: 'Instructions.\n' };
  let task = JSON.stringify({ program, champion: null, files: opts.files, reference: null });
  const submissions: string[] = [];
  const protocols: (string | undefined)[] = [];
  let respond: Parameters<HostileHost['answerResults']>[0] = null;
  const send = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body);
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0];
      protocols.push(req.headers['cohort-protocol'] as string | undefined);
      if (req.method === 'GET' && path === '/api/task') return send(res, 200, task);
      // An empty KB, in the shapes of the paged listings (docs/host.md).
      if (req.method === 'GET' && path === '/api/results') return send(res, 200, JSON.stringify({ results: [], next: null }));
      if (req.method === 'GET' && path?.startsWith('/api/codes/')) return send(res, 200, JSON.stringify({ code_hash: path.slice('/api/codes/'.length), tried: false, result: null }));
      if (req.method === 'GET' && path === '/api/status') {
        const counts = { keep: 0, discard: 0, crash: 0, duplicate: 0 };
        return send(res, 200, JSON.stringify({ program, champion: null, baseline: null, total: 0, counts, leaderboard: [], roster: [], payouts: [], pool: 0, token: 'OBOL' }));
      }
      if (req.method === 'POST' && path === '/api/results') {
        const body = Buffer.concat(chunks).toString('utf8');
        submissions.push(body);
        const answer = respond?.(body, submissions.length) ?? null;
        if (answer !== null) return send(res, answer.status, JSON.stringify(answer.body), answer.headers);
        const { value } = JSON.parse(body) as { value: number | null };
        const result = { id: `r${submissions.length}`, member: 'm1', value, status: 'discard', impact: 0, champion: false, duplicate_of: null, reason: 'recorded' };
        return send(res, 201, JSON.stringify({ result }));
      }
      send(res, 404, JSON.stringify({ error: 'not_found', message: 'no such route' }));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    submissions,
    protocols,
    answerResults(fn) {
      respond = fn;
    },
    serve(files) {
      task = 'raw' in files ? files.raw : JSON.stringify({ program, champion: null, files, reference: null });
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
