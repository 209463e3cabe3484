import type { FastifyPluginAsync } from 'fastify';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { HttpError } from '../errors.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

const CSP = "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const PLACEHOLDER = `<!doctype html><meta charset="utf-8"><title>Cohort owner</title>
<body style="font:16px system-ui;margin:3rem;max-width:40rem">
<h1>Cohort host is running</h1>
<p>The owner UI has not been built in this checkout. The owner API answers under <code>/api/owner/</code>,
and the <code>cohort</code> command (<code>cohort requests</code>, <code>cohort approve CODE</code>, <code>cohort status</code>) works now.</p>
</body>`;

/**
 * Serves the built renderer (the browser way in: http://127.0.0.1:PORT/#token=…). The token stays
 * in the fragment, which browsers never send, so it never appears in a request.
 */
export const rendererRoutes: FastifyPluginAsync<{ rendererDir: string | null }> = async (app, { rendererDir }) => {
  const root = rendererDir !== null && existsSync(join(rendererDir, 'index.html')) ? rendererDir : null;
  app.addHook('onSend', async (_request, reply) => {
    reply.header('content-security-policy', CSP).header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer');
  });
  app.get('/*', async (request, reply) => {
    if (request.url.startsWith('/api/')) {
      throw new HttpError('not_found', `There is no ${request.method} ${request.url.split('?')[0]} here.`);
    }
    if (root === null) return reply.type('text/html; charset=utf-8').send(PLACEHOLDER);
    let wanted: string;
    try {
      wanted = normalize(decodeURIComponent(request.url.split('?')[0] ?? '/'));
    } catch {
      throw new HttpError('bad_request', 'The path is not valid percent-encoding.');
    }
    const file = join(root, wanted === '/' ? 'index.html' : wanted);
    const inside = file.startsWith(root) && existsSync(file) && extname(file) !== '';
    const path = inside ? file : join(root, 'index.html');
    return reply.type(TYPES[extname(path)] ?? 'application/octet-stream').send(await readFile(path));
  });
};
