/** The owner's event stream resumes after Last-Event-ID (protocol/node/sse.ts), over a real host. */
import { afterEach, describe, expect, it } from 'vitest';
import { call, joinMember, startTestHost, type TestHost } from '../../testing/harness.ts';

let host: TestHost | undefined;
afterEach(async () => {
  await host?.dispose();
  host = undefined;
});

/** Reads `{id, event}` frames until `enough`; then hangs up. */
async function read(url: string, headers: Record<string, string>, enough: (events: { id: string; event: string }[]) => boolean) {
  const controller = new AbortController();
  const res = await fetch(url, { headers, signal: controller.signal });
  const frames: { id: string; event: string }[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body!) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    let i: number;
    while ((i = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, i).split('\n');
      buffer = buffer.slice(i + 2);
      const id = block.find((l) => l.startsWith('id: '))?.slice(4);
      if (id !== undefined) frames.push({ id, event: block.find((l) => l.startsWith('event: '))?.slice(7) ?? '' });
    }
    if (enough(frames)) break;
  }
  controller.abort();
  return frames;
}

describe('GET /api/owner/events', () => {
  it('replays what a client missed after its Last-Event-ID, and asks one from a restarted host to resync', async () => {
    host = await startTestHost({ membership: 'open' });
    const url = `${host.ownerUrl}/api/owner/events?token=${host.ownerToken}`;
    const first = await read(url, {}, (f) => f.length > 0);
    const since = first.at(-1)!.id;
    const ada = await joinMember(host, 'ada');
    await call(host.publicUrl, '/api/results', { token: ada.token, json: { value: 1.5 } });
    const missed = await read(url, { 'last-event-id': since }, (f) => f.some((e) => e.event === 'champion'));
    expect(missed.map((e) => e.event)).toEqual(['join-request', 'member-approved', 'member-joined', 'result', 'champion']);
    const resync = await read(url, { 'last-event-id': 'deadbeef.3' }, (f) => f.length > 0);
    expect(resync[0]!.event).toBe('resync');
  });
});
