/**
 * Server-sent events as Cohort's streams send them (`event: <type>` + one JSON `data:` line, a
 * heartbeat comment so proxies keep the stream open). Node-only, like paths.ts, so it is not exported
 * from the index the renderer imports. Used by the owner's KB events and the worker's feed.
 *
 * Every event has an id (`<epoch>.<n>`, n increasing), and the last events are kept in a ring
 * bounded in count and bytes, so a client that reconnects with `Last-Event-ID` (EventSource sends it
 * by itself) gets what it missed. A client the ring cannot serve (its id is older than the ring, or
 * from another epoch: the host restarted, another program was published) gets one `resync` event
 * instead, and refetches state. A client that stops reading is dropped once its unsent bytes pass a
 * bound; its EventSource reconnects and resumes. Nothing here grows with a slow client.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

const HEARTBEAT_MS = 15_000;

export interface EventStreamLimits {
  /** Events kept to replay after `Last-Event-ID` (default 1 000)… */
  replayEvents?: number;
  /** …and at most this many bytes of them (default 2 MiB). */
  replayBytes?: number;
  /** A client whose response holds more unsent bytes than this is dropped (default 8 MiB: a full replay and then some). */
  maxClientBufferBytes?: number;
  heartbeatMs?: number;
}

/** The `resync` event's data: what a client that may have missed events is told to do. */
export interface ResyncEvent {
  type: 'resync';
  reason: string;
}

interface Client {
  res: ServerResponse;
  close: () => void;
}

const LAST_EVENT_ID = /^([0-9a-f]{8})\.(\d{1,15})$/;

/** The open streams of one event source: ids, the replay ring, and its clients (so shutdown can end them: they never go idle). */
export class EventStreams<E extends { type: string }> {
  readonly #limits: Required<EventStreamLimits>;
  #epoch = '';
  #seq = 0;
  /** Events with a sequence number up to here are no longer in the ring. */
  #floor = 0;
  #ring: { seq: number; frame: string }[] = [];
  #ringBytes = 0;
  #source: unknown = undefined;
  #unsubscribe: (() => void) | null = null;
  readonly #clients = new Set<Client>();

  constructor(limits: EventStreamLimits = {}) {
    this.#limits = {
      replayEvents: limits.replayEvents ?? 1_000,
      replayBytes: limits.replayBytes ?? 2 * 1024 * 1024,
      maxClientBufferBytes: limits.maxClientBufferBytes ?? 8 * 1024 * 1024,
      heartbeatMs: limits.heartbeatMs ?? HEARTBEAT_MS,
    };
    this.#newEpoch();
  }

  /** How many clients are connected. */
  get clients(): number {
    return this.#clients.size;
  }

  /**
   * Takes events from `source` (through `subscribe`) from now on. Calling it again with the same source
   * does nothing; with another one (a program published anew), the ring starts over in a new epoch and
   * connected clients are told to resync.
   */
  follow(source: object, subscribe: (send: (event: E) => void) => () => void): void {
    if (source === this.#source) return;
    const first = this.#source === undefined;
    this.#unsubscribe?.();
    this.#source = source;
    if (!first) {
      this.#newEpoch();
      for (const client of this.#clients) this.#write(client, this.#resyncFrame('the event source changed'));
    }
    this.#unsubscribe = subscribe((event) => this.publish(event));
  }

  /** Gives the event the next id, keeps it for replay and sends it to every client. */
  publish(event: E): void {
    const seq = ++this.#seq;
    const frame = `id: ${this.#epoch}.${seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
    this.#ring.push({ seq, frame });
    this.#ringBytes += frame.length;
    while (this.#ring.length > 0 && (this.#ring.length > this.#limits.replayEvents || this.#ringBytes > this.#limits.replayBytes)) {
      const dropped = this.#ring.shift()!;
      this.#ringBytes -= dropped.frame.length;
      this.#floor = dropped.seq;
    }
    for (const client of this.#clients) this.#write(client, frame);
  }

  /**
   * Starts a stream on a raw request/response pair whose reply the caller has hijacked: what the
   * client missed since its `Last-Event-ID` (or a `resync`), then every event until it goes away,
   * is dropped for not reading, or `endAll()` is called.
   */
  open(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    const heartbeat = setInterval(() => this.#write(client, ': heartbeat\n\n'), this.#limits.heartbeatMs);
    heartbeat.unref();
    const client: Client = {
      res,
      close: () => {
        clearInterval(heartbeat);
        this.#clients.delete(client);
      },
    };
    this.#clients.add(client);
    req.on('close', client.close);
    res.on('close', client.close);
    res.on('error', client.close);
    this.#write(client, `retry: 2000\n: connected\n\n${this.#catchUp(req.headers['last-event-id'])}`);
  }

  endAll(): void {
    for (const client of this.#clients) {
      client.close();
      client.res.end();
    }
  }

  /** What a client that last saw `lastEventId` needs before the live events. */
  #catchUp(lastEventId: string | string[] | undefined): string {
    const head = `${this.#epoch}.${this.#seq}`;
    // A new client: its state comes from its own fetch; the id lets it resume from here if it drops.
    if (lastEventId === undefined) return `id: ${head}\n\n`;
    const match = typeof lastEventId === 'string' ? LAST_EVENT_ID.exec(lastEventId.trim()) : null;
    if (match === null || match[1] !== this.#epoch) return this.#resyncFrame('the stream restarted since your last event');
    const seen = Number(match[2]);
    if (seen > this.#seq) return this.#resyncFrame('your last event is not one of this stream');
    if (seen < this.#floor) return this.#resyncFrame('more events happened than this stream keeps');
    return this.#ring.filter((e) => e.seq > seen).map((e) => e.frame).join('');
  }

  #resyncFrame(reason: string): string {
    const event: ResyncEvent = { type: 'resync', reason: `${reason}: fetch the current state again` };
    return `id: ${this.#epoch}.${this.#seq}\nevent: resync\ndata: ${JSON.stringify(event)}\n\n`;
  }

  #newEpoch(): void {
    this.#epoch = randomBytes(4).toString('hex');
    this.#seq = 0;
    this.#floor = 0;
    this.#ring = [];
    this.#ringBytes = 0;
  }

  /** Writes, or drops a client that has stopped reading: it reconnects with `Last-Event-ID` and resumes. */
  #write(client: Client, text: string): void {
    if (!this.#clients.has(client) || client.res.destroyed) return;
    client.res.write(text);
    if (client.res.writableLength > this.#limits.maxClientBufferBytes) {
      client.close();
      client.res.destroy();
    }
  }
}
