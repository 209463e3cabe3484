import { describe, expect, it } from 'vitest';
import { TailBuffer } from './tail-buffer.ts';

describe('TailBuffer', () => {
  it('keeps everything while under the limit', () => {
    const t = new TailBuffer();
    t.push('hello ');
    t.push(Buffer.from('world'));
    expect(t.toString()).toBe('hello world');
    expect(t.totalBytes).toBe(11);
  });

  it('keeps only the last N bytes', () => {
    const t = new TailBuffer(8);
    for (const s of ['0123', '4567', '89ab']) t.push(s);
    expect(t.toString()).toBe('456789ab');
    t.push('x'.repeat(100) + 'END');
    expect(t.toString()).toBe('xxxxxEND');
    expect(t.totalBytes).toBe(115);
  });

  it('defaults to 4096 bytes', () => {
    const t = new TailBuffer();
    t.push('a'.repeat(10_000));
    expect(Buffer.byteLength(t.toString())).toBe(4096);
  });

  it('never starts with a broken multi-byte character', () => {
    for (let n = 1; n <= 12; n += 1) {
      const t = new TailBuffer(n);
      t.push('é😀€'.repeat(5));
      const text = t.toString();
      expect(text).not.toContain('\uFFFD');
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(n);
      expect('é😀€'.repeat(5).endsWith(text)).toBe(true);
    }
  });

  it('leaves out a trailing character whose bytes have not all arrived', () => {
    const t = new TailBuffer(16);
    const euro = Buffer.from('€');
    t.push(Buffer.concat([Buffer.from('ab'), euro.subarray(0, 2)]));
    expect(t.toString()).toBe('ab');
    t.push(euro.subarray(2));
    expect(t.toString()).toBe('ab€');
  });
});
