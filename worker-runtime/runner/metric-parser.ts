import { DEFAULT_MAX_LINE_LENGTH, LineSplitter } from './line-splitter.ts';

export interface MetricReading {
  name: string;
  value: number;
}

export interface ParseResult {
  /** The program's metric: the summary block's value if it has one, else the last printed value; null if never printed. */
  value: number | null;
  /** False when the value is missing, NaN or ±Infinity. */
  finite: boolean;
  /** The output had a line that is exactly `FAIL`. */
  failed: boolean;
  /** Last value of every `name: number` line. */
  metrics: Record<string, number>;
  /** The `key: number` lines after the last `---` line. */
  summary: Record<string, number>;
}

export interface MetricParserOptions {
  /** The metric that decides the result, e.g. `val_bpb`. */
  metric: string;
  /** Every recognised `name: number` line, as it arrives (for live charts); `at` is Date.now(). */
  onMetric?: (name: string, value: number, at: number) => void;
  maxLineLength?: number;
}

// A number as Python, C and JS print them, including nan/inf in any case and sign.
const NUMBER = String.raw`[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|nan|inf(?:inity)?)`;
const METRIC_LINE = new RegExp(String.raw`^\s*([A-Za-z_][\w.\-/]*)\s*:\s*(${NUMBER})\s*$`, 'i');
// Any `key: value` line keeps a summary block open even when its value is not a number.
const KEY_VALUE_LINE = /^\s*[A-Za-z_][\w.\-/]*\s*:/;

/** `name: number` → reading, or null. Exported for tests and for callers with whole lines. */
export function parseMetricLine(line: string): MetricReading | null {
  if (!line.includes(':')) return null; // cheap reject for the bulk of log lines
  const m = METRIC_LINE.exec(line);
  if (!m || m[1] === undefined || m[2] === undefined) return null;
  return { name: m[1], value: parseNumber(m[2]) };
}

function parseNumber(text: string): number {
  const lower = text.toLowerCase();
  const sign = lower.startsWith('-') ? -1 : 1;
  const bare = lower.replace(/^[+-]/, '');
  if (bare === 'nan') return Number.NaN;
  if (bare === 'inf' || bare === 'infinity') return sign * Number.POSITIVE_INFINITY;
  return Number(lower);
}

interface Source {
  splitter: LineSplitter;
  // Summary state is per stream so that stderr chatter (warnings, tqdm) cannot cut a stdout block.
  inSummary: boolean;
}

/**
 * Streaming parser for experiment output. Feed it chunks in order (per stream); it keeps only the
 * current line of each stream (capped), the last value per metric name and the summary block.
 */
export class MetricParser {
  readonly metric: string;
  readonly #onMetric: MetricParserOptions['onMetric'];
  readonly #maxLineLength: number;
  readonly #sources = new Map<string, Source>();
  readonly #metrics = new Map<string, number>();
  #summary = new Map<string, number>();
  #failed = false;
  #last: MetricReading | null = null;

  constructor(options: MetricParserOptions) {
    this.metric = options.metric;
    this.#onMetric = options.onMetric;
    this.#maxLineLength = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
  }

  /** Feeds a raw chunk; `source` keeps interleaved streams (stdout, stderr) from splicing lines. */
  push(chunk: Buffer | string, source = 'stdout'): void {
    this.#source(source).splitter.push(chunk);
  }

  /** Flushes unfinished last lines. Call once the output has ended. */
  end(): void {
    for (const s of this.#sources.values()) s.splitter.end();
  }

  /** Characters held for unfinished lines, across all streams (bounded by the line cap). */
  get bufferedLength(): number {
    let n = 0;
    for (const s of this.#sources.values()) n += s.splitter.bufferedLength;
    return n;
  }

  get failed(): boolean {
    return this.#failed;
  }

  get metrics(): Record<string, number> {
    return Object.fromEntries(this.#metrics);
  }

  get summary(): Record<string, number> {
    return Object.fromEntries(this.#summary);
  }

  /** The last `name: number` line seen, for a progress display. */
  lastSeen(): MetricReading | null {
    return this.#last;
  }

  result(): ParseResult {
    const value = this.#summary.get(this.metric) ?? this.#metrics.get(this.metric) ?? null;
    return {
      value,
      finite: value !== null && Number.isFinite(value),
      failed: this.#failed,
      metrics: this.metrics,
      summary: this.summary,
    };
  }

  #source(name: string): Source {
    let s = this.#sources.get(name);
    if (!s) {
      const source: Source = {
        splitter: new LineSplitter((line, truncated) => this.#line(source, line, truncated), this.#maxLineLength),
        inSummary: false,
      };
      this.#sources.set(name, source);
      s = source;
    }
    return s;
  }

  #line(source: Source, line: string, truncated: boolean): void {
    // A cut line lost its end, so its number (if any) cannot be trusted; it also ends a summary.
    const trimmed = truncated ? null : line.trim();
    if (trimmed === '---') {
      source.inSummary = true;
      this.#summary = new Map(); // a later block replaces an earlier one
      return;
    }
    if (trimmed === 'FAIL') {
      this.#failed = true;
      source.inSummary = false;
      return;
    }
    const reading = trimmed === null ? null : parseMetricLine(line);
    if (reading) {
      this.#metrics.set(reading.name, reading.value);
      if (source.inSummary) this.#summary.set(reading.name, reading.value);
      this.#last = reading;
      this.#onMetric?.(reading.name, reading.value, Date.now());
      return;
    }
    // autoresearch-style progress lines (`step 00123 (45.2%) | loss: 3.456789 | dt: 310ms`): their
    // readings feed the live chart only; a result's value comes from whole `name: value` lines.
    if (trimmed !== null && trimmed.includes('|')) {
      for (const segment of trimmed.split('|')) {
        const part = parseMetricLine(segment);
        if (part === null || !Number.isFinite(part.value)) continue;
        this.#last = part;
        this.#onMetric?.(part.name, part.value, Date.now());
      }
    }
    // Blank lines and non-numeric `key: value` lines keep a summary block open; anything else ends it.
    if (trimmed !== '' && (trimmed === null || !KEY_VALUE_LINE.test(trimmed))) source.inSummary = false;
  }
}
