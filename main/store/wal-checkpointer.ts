import { Worker } from 'node:worker_threads';

/**
 * Copies the WAL back into the database file in the background, on a thread and connection of its
 * own, in `PASSIVE` mode (it takes no write lock: commits never wait for it).
 *
 * SQLite checkpoints inside the `COMMIT` that takes the WAL past 1 000 pages, and with
 * `synchronous = FULL` that copy and its fsync were a third of the writer's time per batch
 * (docs/benchmarks.md). Run shortly after each commit, this thread does most of the copying while
 * the writer goes on; the writer's own checkpoint then finds little left to copy, and, since it
 * runs between two of the writer's transactions, lets the next one start the WAL over (a background
 * checkpoint alone never catches up with steady writes, so the WAL would only grow).
 */

/**
 * The connections that write keep SQLite's own checkpoint: the writer thread's at SQLite's default
 * (1 000 pages), where it finishes what this thread began and starts the WAL over; the host's, which
 * writes little, far above it (~40 MiB), so that it almost never checkpoints on the event loop.
 */
export const HOST_AUTOCHECKPOINT_PAGES = 10_000;

/** How long after a write the checkpoint runs: writes in that window share one. */
const DELAY_MS = 5;

/** Given as text (`eval`): it runs the same from the sources, Electron's bundle and a packaged app. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { DatabaseSync } = require('node:sqlite');
const db = new DatabaseSync(workerData.path, { timeout: 0 });
db.exec('PRAGMA synchronous = FULL');
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
let timer = null;
function run(reply) {
  timer = null;
  try {
    const row = checkpoint.get();
    if (reply) parentPort.postMessage({ ok: true, log: row.log, checkpointed: row.checkpointed });
  } catch (err) {
    // Another connection's checkpoint holds the lock (SQLITE_BUSY): the next write brings another try.
    if (reply) parentPort.postMessage({ ok: false, message: String((err && err.message) || err) });
  }
}
parentPort.on('message', (m) => {
  if (m === 'close') {
    if (timer) clearTimeout(timer);
    db.close();
    parentPort.close();
  } else if (m === 'now') {
    if (timer) clearTimeout(timer);
    run(true);
  } else if (timer === null) {
    timer = setTimeout(run, workerData.delayMs, false);
  }
});
`;

export interface CheckpointReport {
  /** Frames in the WAL, and frames already copied back into the database file. */
  log: number;
  checkpointed: number;
}

export class WalCheckpointer {
  #worker: Worker;
  #running = true;
  #waiters: { resolve: (r: CheckpointReport) => void; reject: (e: Error) => void }[] = [];

  constructor(path: string, opts: { delayMs?: number } = {}) {
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, delayMs: opts.delayMs ?? DELAY_MS } });
    // Ref'd only while someone waits for an answer: an idle host's process must be free to exit.
    this.#worker.unref();
    this.#worker.on('message', (m: { ok: true; log: number; checkpointed: number } | { ok: false; message: string }) => {
      const waiter = this.#waiters.shift();
      if (this.#waiters.length === 0) this.#worker.unref();
      if (m.ok) waiter?.resolve({ log: m.log, checkpointed: m.checkpointed });
      else waiter?.reject(new Error(m.message));
    });
    // Losing it loses no data: SQLite's own checkpoints still run on the writing connections.
    this.#worker.on('error', () => {});
    this.#worker.on('exit', () => {
      this.#running = false;
      for (const w of this.#waiters.splice(0)) w.reject(new Error('the checkpoint thread stopped'));
    });
  }

  /** A commit happened: a checkpoint follows within DELAY_MS. A message, nothing more, on this thread. */
  wrote(): void {
    if (this.#running) this.#worker.postMessage('w');
  }

  /** Runs a checkpoint now and says what it found (tests, the bench). */
  async checkpoint(): Promise<CheckpointReport> {
    if (!this.#running) throw new Error('the checkpoint thread is not running');
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      this.#worker.ref();
      this.#worker.postMessage('now');
    });
  }

  async close(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    const exited = new Promise<void>((resolve) => this.#worker.once('exit', () => resolve()));
    this.#worker.ref();
    this.#worker.postMessage('close');
    await exited;
  }
}
