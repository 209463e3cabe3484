import { describe, expect, it } from 'vitest';
import { LineSplitter } from './line-splitter.ts';
import { MetricParser, parseMetricLine } from './metric-parser.ts';
import { AUTORESEARCH_SUMMARY, AUTORESEARCH_VALUES } from './autoresearch-fixture.ts';


function parse(text: string, metric = 'val_bpb'): MetricParser {
  const p = new MetricParser({ metric });
  p.push(text);
  p.end();
  return p;
}

describe('parseMetricLine', () => {
  it.each([
    ['val_bpb: 1.5', 1.5],
    ['loss:-2', -2],
    ['  lr: 1e-3  ', 1e-3],
    ['x: +3', 3],
    ['x: .5', 0.5],
    ['x: 2.', 2],
    ['x: 1E+2', 100],
    ['x: inf', Infinity],
    ['x: -inf', -Infinity],
    ['x: Infinity', Infinity],
    ['train/loss: 0.25', 0.25],
  ])('%s', (line, value) => {
    expect(parseMetricLine(line)?.value).toBe(value);
  });

  it('reads nan in any case', () => {
    for (const line of ['x: nan', 'x: NaN', 'x: -nan', 'x: NAN']) expect(parseMetricLine(line)?.value).toBeNaN();
  });

  it.each(['val_bpb: 1.0 (best)', 'val_bpb: abc', 'step 3: val_bpb: 1', 'val_bpb 1.0', 'val_bpb: ', '1: 2', 'x: 1.2.3', 'x: nanx'])(
    'rejects %s',
    (line) => {
      expect(parseMetricLine(line)).toBeNull();
    },
  );
});

describe('MetricParser', () => {
  it('reads the autoresearch summary block', () => {
    const p = parse(`step 00953 (100.0%) | loss: 3.1\nval_bpb: 1.2\n${AUTORESEARCH_SUMMARY}`);
    expect(p.result()).toEqual({
      value: 0.9979,
      finite: true,
      failed: false,
      metrics: expect.objectContaining({ val_bpb: 0.9979, depth: 8 }),
      summary: AUTORESEARCH_VALUES,
    });
  });

  it('lets the summary value win over later progress lines', () => {
    const p = parse(`${AUTORESEARCH_SUMMARY}\nsome trailing text\nval_bpb: 5.0\n`);
    expect(p.result().value).toBe(0.9979);
    expect(p.metrics.val_bpb).toBe(5);
  });

  it('keeps the last value of a metric printed outside a summary', () => {
    const p = parse('val_bpb: 1.3\nnoise\nval_bpb: 1.1\n');
    expect(p.result()).toMatchObject({ value: 1.1, finite: true, summary: {} });
  });

  it('ends a summary block at a line that is not key: value, and starts anew at the next ---', () => {
    const p = parse('---\na: 1\nwords here\nb: 2\n---\nc: 3\n\nname: resnet\nd: 4\n');
    expect(p.summary).toEqual({ c: 3, d: 4 });
  });

  it('does not let stderr chatter cut a stdout summary block', () => {
    const p = new MetricParser({ metric: 'val_bpb' });
    p.push('---\nval_bpb: 0.9\n', 'stdout');
    p.push('UserWarning: something\n', 'stderr');
    p.push('depth: 8\n', 'stdout');
    p.end();
    expect(p.summary).toEqual({ val_bpb: 0.9, depth: 8 });
  });

  it('detects FAIL', () => {
    const p = parse('step 10 | loss: nan\n  FAIL \n');
    expect(p.result()).toMatchObject({ failed: true, value: null, finite: false });
    expect(parse('FAILED\nnot FAIL\n').failed).toBe(false);
  });

  it('reports a non-finite metric', () => {
    expect(parse('val_bpb: nan\n').result()).toMatchObject({ value: NaN, finite: false });
    expect(parse('val_bpb: -inf\n').result()).toMatchObject({ value: -Infinity, finite: false });
    expect(parse('loss: 1\n').result()).toMatchObject({ value: null, finite: false });
  });

  it('splits carriage-return progress bars into lines', () => {
    const p = parse('step 1/100\rstep 2/100\rloss: 2.5\rstep 3/100\r\nval_bpb: 1.25\r\rstep 100/100\r');
    expect(p.result().value).toBe(1.25);
    expect(p.metrics.loss).toBe(2.5);
  });

  it('gives the same answer however the output is chunked', () => {
    const text = `a\r\nloss: 2\r\nval_bpb: 3\rb\n${AUTORESEARCH_SUMMARY}FAIL\r\nlast: 7`;
    const whole = parse(text).result();
    for (let i = 0; i <= text.length; i += 1) {
      for (let j = i; j <= text.length; j += 7) {
        const p = new MetricParser({ metric: 'val_bpb' });
        p.push(text.slice(0, i));
        p.push(text.slice(i, j));
        p.push(text.slice(j));
        p.end();
        expect(p.result()).toEqual(whole);
      }
    }
    expect(whole.metrics.last).toBe(7);
  });

  it('keeps a multi-byte character split across Buffers whole', () => {
    const lines: string[] = [];
    const s = new LineSplitter((line) => lines.push(line));
    const bytes = Buffer.from('é€😀\nx');
    for (let i = 0; i < bytes.length; i += 1) s.push(bytes.subarray(i, i + 1));
    s.end();
    expect(lines).toEqual(['é€😀', 'x']);
  });

  it('treats \\r\\n split across chunks as one break', () => {
    const lines: string[] = [];
    const s = new LineSplitter((line) => lines.push(line));
    s.push('a\r');
    s.push('\nb\r');
    s.push('\r\n');
    s.end();
    expect(lines).toEqual(['a', 'b', '']);
  });

  it('caps a 10 MB line without newlines and still finds the metric after it', () => {
    const p = new MetricParser({ metric: 'val_bpb' });
    const chunk = 'x'.repeat(64 * 1024);
    let maxBuffered = 0;
    for (let sent = 0; sent < 10 * 1024 * 1024; sent += chunk.length) {
      p.push(chunk);
      maxBuffered = Math.max(maxBuffered, p.bufferedLength);
    }
    p.push('\nval_bpb: 1.0\n');
    p.end();
    expect(maxBuffered).toBeLessThanOrEqual(64 * 1024);
    expect(p.bufferedLength).toBe(0);
    expect(p.result().value).toBe(1);
  });

  it('reports truncated lines and does not trust their numbers', () => {
    const seen: Array<[number, boolean]> = [];
    const s = new LineSplitter((line, truncated) => seen.push([line.length, truncated]), 10);
    s.push('0123456789\n012345678901234\nabc');
    s.end();
    expect(seen).toEqual([
      [10, false],
      [10, true],
      [3, false],
    ]);
    const p = new MetricParser({ metric: 'val_bpb', maxLineLength: 16 });
    p.push(`val_bpb: 1.0${' '.repeat(20)}\n`);
    p.end();
    expect(p.result().value).toBeNull();
  });

  it('reports each metric line as it arrives and remembers the last one', () => {
    const calls: Array<[string, number]> = [];
    const p = new MetricParser({ metric: 'val_bpb', onMetric: (name, value, at) => {
      expect(at).toBeGreaterThan(0);
      calls.push([name, value]);
    } });
    expect(p.lastSeen()).toBeNull();
    p.push('loss: 3\nstep 1\rloss: 2');
    expect(p.lastSeen()).toEqual({ name: 'loss', value: 3 });
    p.push('\r');
    expect(p.lastSeen()).toEqual({ name: 'loss', value: 2 });
    p.end();
    expect(calls).toEqual([
      ['loss', 3],
      ['loss', 2],
    ]);
  });
});

describe('progress lines', () => {
  it('reports the `name: number` segments of autoresearch-style progress lines live, without making them the result', () => {
    const seen: [string, number][] = [];
    const parser = new MetricParser({ metric: 'loss', onMetric: (name, value) => seen.push([name, value]) });
    parser.push('step 00010 (4.2%) | loss: 3.456789 | lrm: 1.00 | dt: 310ms | mfu: 12.5%\n');
    parser.push('\rstep 00020 (8.4%) | loss: 3.1 | lrm: nan\r');
    parser.end();
    expect(seen).toEqual([
      ['loss', 3.456789],
      ['lrm', 1],
      ['loss', 3.1],
    ]);
    expect(parser.result()).toMatchObject({ value: null, metrics: {} });
    expect(parser.lastSeen()).toEqual({ name: 'loss', value: 3.1 });
  });
});
