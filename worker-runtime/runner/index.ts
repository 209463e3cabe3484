// The worker's experiment runner: run a command under a time budget and read its metric.
export { runExperiment } from './run-experiment.ts';
export { MAX_TIMEOUT_MS, setLongTimeout } from './long-timeout.ts';
export type { OutputStream, RunDurations, RunOptions, RunOutcome, RunProgress } from './run-experiment.ts';
export { MetricParser, parseMetricLine } from './metric-parser.ts';
export type { MetricParserOptions, MetricReading, ParseResult } from './metric-parser.ts';
export { TailBuffer, DEFAULT_TAIL_BYTES } from './tail-buffer.ts';
export { LineSplitter, DEFAULT_MAX_LINE_LENGTH } from './line-splitter.ts';
export { classifyRun } from './outcome.ts';
export { LastErrorLine } from './last-error-line.ts';
export type { RunFacts, RunStatus } from './outcome.ts';
