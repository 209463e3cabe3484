import { describe, expect, it } from 'vitest';
import { OutputTail } from './output-tail.ts';

describe('cloudflared output tail', () => {
  it('names the error cloudflared died of: its bare exit line, else its last ERR line', () => {
    const t = new OutputTail();
    t.feed('2024-05-14T10:21:31Z INF Requesting new quick Tunnel on trycloudflare.com...\n2024-05-14T10:21:46Z ERR Error unmarshaling QuickTunnel response: error="invalid character" status_code="502 Bad Gateway"\n');
    expect(t.lastError()).toBe('Error unmarshaling QuickTunnel response: error="invalid character" status_code="502 Bad Gateway"');
    t.feed('failed to request quick Tunnel: Post "https://api.trycloudflare.com/tunnel": dial tcp: i/o timeout');
    expect(t.lastError()).toBe('failed to request quick Tunnel: Post "https://api.trycloudflare.com/tunnel": dial tcp: i/o timeout');
  });

  it('has no error when only INF lines came, and joins lines split across chunks', () => {
    const t = new OutputTail();
    t.feed('2024-05-14T10:21:31Z INF Reg');
    t.feed('istered tunnel connection connIndex=0\r\n\u001b[32m2024-05-14T10:21:32Z INF done\u001b[0m\n');
    expect(t.lastError()).toBeNull();
    expect(t.lines()).toEqual(['2024-05-14T10:21:31Z INF Registered tunnel connection connIndex=0', '2024-05-14T10:21:32Z INF done']);
  });

  it('keeps only the last lines, each cut to a sane length', () => {
    const t = new OutputTail();
    for (let i = 0; i < 100; i++) t.feed(`2024-05-14T10:21:31Z ERR error ${i} ${'x'.repeat(1000)}\n`);
    const lines = t.lines();
    expect(lines).toHaveLength(20);
    expect(lines.at(-1)!.length).toBeLessThan(410);
    expect(t.lastError()).toMatch(/^error 99 x+…$/);
  });
});
