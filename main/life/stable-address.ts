import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { KbStore } from '../store/kb-store.ts';

/**
 * A stable address (issue 11, item 4): the public port and URL of the last start live in the KB's
 * meta table, so a restart listens where members already point, and the banner can say when the
 * URL members use changed (a quick tunnel's always does).
 */
export interface AddressMemory {
  /** The URL members used at the last start (the tunnel's when there was one); null on a first start. */
  readonly previousUrl: string | null;
  /** The port asked for by remembering, when it was in use and a free one was taken instead. */
  readonly portTaken: number | null;
  /** Records the URL members use now. */
  remember(url: string): Promise<void>;
}

const PORT = 'public_port';
const URL_KEY = 'public_url';

export async function listenStable(
  app: FastifyInstance,
  opts: { host: string; port: number | undefined; store: KbStore; tunnelled: boolean },
): Promise<AddressMemory> {
  const previousUrl = await opts.store.getMeta(URL_KEY);
  const remembered = Number(await opts.store.getMeta(PORT));
  let portTaken: number | null = null;
  if (opts.port !== undefined) await app.listen({ host: opts.host, port: opts.port });
  else if (Number.isInteger(remembered) && remembered > 0 && remembered < 65536) {
    try {
      await app.listen({ host: opts.host, port: remembered });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      portTaken = remembered;
      await app.listen({ host: opts.host, port: 0 });
    }
  } else await app.listen({ host: opts.host, port: 0 });
  const { port } = app.server.address() as AddressInfo;
  await opts.store.setMeta(PORT, String(port));
  return {
    previousUrl,
    portTaken,
    async remember(url) {
      await opts.store.setMeta(URL_KEY, url);
    },
  };
}
