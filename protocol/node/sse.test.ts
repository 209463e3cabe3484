/** Event streams (protocol/node/sse.ts) over real loopback: resume after Last-Event-ID, resync, and a client that stops reading. */
import { createServer, get, type IncomingMessage, type Server } from 'node:http';
import { connect } from 'node:net';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EventStreams, type EventStreamLimits } from './sse.ts';

interface Ev {
  type: 'tick';
  n: number;
  pad?: string;
}

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r) ?? r(undefined));
  server = undefined;
});

/** A listener with one stream fed by `publish`. */
async function serve(limits: EventStreamLimits = {}): Promise<{ url: string; streams: EventStreams<Ev>; publish: (e: Ev) => void }> {
  const listeners = new Set<(e: Ev) => void>();
  const source = {};
  const streams = new EventStreams<Ev>(limits);
  streams.follow(source, (send) => {
    listeners.add(send);
    return () => listeners.delete(send);
  });
  server = createServer((req, res) => streams.open(req, res));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, streams, publish: (e) => listeners.forEach((l) => l(e)) };
}

interface Frame {
  id?: string;
  event?: string;
  data?: string;
}

/** Opens the stream and collects its frames until `until` says stop; then hangs up. */
function collect(url: string, headers: Record<string, string>, until: (frames: Frame[]) => boolean): Promise<Frame[]> {
  return new Promise((resolve, reject) => {
    const frames: Frame[] = [];
    let text = '';
    const req = get(url, { headers }, (res: IncomingMessage) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        let at: number;
        while ((at = text.indexOf('\n\n')) >= 0) {
          const block = text.slice(0, at);
          text = text.slice(at + 2);
          const frame: Frame = {};
          for (const line of block.split('\n')) {
            const m = /^(id|event|data): (.*)$/.exec(line);
            if (m) frame[m[1] as keyof Frame] = m[2];
          }
          if (Object.keys(frame).length > 0) frames.push(frame);
        }
        if (until(frames)) {
          req.destroy();
          resolve(frames);
        }
      });
    });
    req.on('error', (err) => (until(frames) ? resolve(frames) : reject(err)));
    req.on('close', () => (until(frames) ? resolve(frames) : reject(new Error(`the stream ended after ${frames.length} frames`))));
  });
}

const ticks = (frames: Frame[]) => frames.filter((f) => f.event === 'tick').map((f) => (JSON.parse(f.data!) as Ev).n);

describe('event streams', () => {
  it('every event has an increasing id, and a client that reconnects with Last-Event-ID gets exactly what it missed', async () => {
    const { url, publish } = await serve();
    publish({ type: 'tick', n: 1 });
    const first = collect(url, {}, (f) => ticks(f).includes(3));
    await new Promise((r) => setTimeout(r, 50));
    publish({ type: 'tick', n: 2 });
    publish({ type: 'tick', n: 3 });
    const seen = await first;
    expect(seen[0]!.event).toBeUndefined(); // the id to resume from, before any event
    expect(ticks(seen)).toEqual([2, 3]);
    const ids = seen.map((f) => f.id!);
    const seqs = ids.map((id) => Number(id.split('.')[1]));
    expect(seqs).toEqual([1, 2, 3]);

    // Missed while away: 4, 5, 6.
    for (const n of [4, 5, 6]) publish({ type: 'tick', n });
    const resumed = await collect(url, { 'last-event-id': ids.at(-1)! }, (f) => ticks(f).includes(6));
    expect(ticks(resumed)).toEqual([4, 5, 6]);
    expect(resumed.some((f) => f.event === 'resync')).toBe(false);
  });

  it('a client older than the ring, from another epoch, or with a made-up id gets one resync event', async () => {
    const { url, publish } = await serve({ replayEvents: 5 });
    const start = await collect(url, {}, (f) => f.length > 0);
    const startId = start[0]!.id!;
    for (let n = 1; n <= 20; n++) publish({ type: 'tick', n });
    for (const id of [startId, '00000000.1', 'garbage', `${startId.split('.')[0]}.999`]) {
      const frames = await collect(url, { 'last-event-id': id }, (f) => f.length > 0);
      expect(frames[0]).toMatchObject({ event: 'resync', id: `${startId.split('.')[0]}.20` });
      expect(JSON.parse(frames[0]!.data!)).toMatchObject({ type: 'resync', reason: expect.stringContaining('fetch the current state again') });
    }
    // One within the ring still resumes.
    const recent = await collect(url, { 'last-event-id': `${startId.split('.')[0]}.17` }, (f) => ticks(f).includes(20));
    expect(ticks(recent)).toEqual([18, 19, 20]);
  });

  it('drops a client that stops reading (its unsent bytes stay bounded), while a reading client keeps its stream', async () => {
    const limit = 64 * 1024;
    const { url, streams, publish } = await serve({ maxClientBufferBytes: limit, replayBytes: 256 * 1024 });
    const { port } = new URL(url);
    const stalled = connect(Number(port), '127.0.0.1');
    await once(stalled, 'connect');
    stalled.write('GET / HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n');
    stalled.pause(); // never reads: the kernel's buffers fill, then the host's
    const lastIs = (f: Frame[], n: number) => f.at(-1)?.event === 'tick' && (JSON.parse(f.at(-1)!.data!) as Ev).n === n;
    const reader = collect(url, {}, (f) => lastIs(f, 1_999));
    await expect.poll(() => streams.clients).toBe(2);

    const pad = 'x'.repeat(10 * 1024);
    let droppedAt: number | null = null;
    for (let n = 0; n < 2_000; n++) {
      publish({ type: 'tick', n, pad });
      await new Promise((r) => setImmediate(r)); // the reader drains as it goes
      if (droppedAt === null && streams.clients === 1) droppedAt = n;
    }
    const frames = await reader;
    expect(ticks(frames)).toHaveLength(2_000); // 20 MB went to the reading client
    // The stalled one was dropped once the kernel's buffers and then 64 KiB of the host's were full.
    expect(droppedAt).not.toBeNull();
    expect(droppedAt!).toBeLessThan(1_900);
    await expect.poll(() => streams.clients).toBe(0);
    const closed = once(stalled, 'close');
    stalled.resume();
    stalled.on('error', () => undefined);
    await closed; // the host ended it: an EventSource would reconnect with Last-Event-ID
  }, 30_000);
});
