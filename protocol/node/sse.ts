/**
 * Server-sent events as Cohort's streams send them (`event: <type>` + one JSON `data:` line, a
 * heartbeat comment so proxies keep the stream open). Node-only, like paths.ts, so it is not exported
 * from the index the renderer imports. Used by the owner's KB events and the worker's feed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

const HEARTBEAT_MS = 15_000;

/** The open streams of one listener, so its shutdown can end them (they never go idle by themselves). */
export class EventStreams {
  readonly #open = new Set<() => void>();

  /**
   * Starts a stream on a raw request/response pair whose reply the caller has hijacked, and sends
   * whatever `subscribe` delivers until the client goes away or `endAll()` is called.
   */
  open<E extends { type: string }>(req: IncomingMessage, res: ServerResponse, subscribe: (send: (event: E) => void) => () => void): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n: connected\n\n');
    const unsubscribe = subscribe((event) => res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`));
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    const stop = () => {
      clearInterval(heartbeat);
      unsubscribe();
      this.#open.delete(end);
    };
    const end = () => {
      stop();
      res.end();
    };
    this.#open.add(end);
    req.on('close', stop);
    res.on('error', stop);
  }

  endAll(): void {
    for (const end of this.#open) end();
  }
}
