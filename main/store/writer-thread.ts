import type { SQLInputValue } from 'node:sqlite';
import { Worker } from 'node:worker_threads';
import { REFUSED_AFTER_FAILURE } from './kb-store.ts';

/**
 * The KB's hot writes, on a worker thread with its own SQLite connection.
 *
 * A durable submission ends in `COMMIT` with `synchronous = FULL`: SQLite writes the batch's pages
 * to the WAL and fsyncs it (and now and then checkpoints, wal-checkpointer.ts). On the host's one
 * thread those calls stopped every request for 2–15 ms per batch (docs/benchmarks.md). Here the
 * batch is written on this thread while the host's event loop goes on parsing and judging the next
 * one. Durability is unchanged: `transaction` resolves after `COMMIT` returned.
 *
 * The host's own connection keeps the rare writes (join requests, members) and every read: a
 * committed batch is visible to it as soon as `transaction` resolves.
 */

/** One statement, run once per row of arguments. */
export interface WriteStep {
  sql: string;
  rows: SQLInputValue[][];
}

/** Given as text (`eval`): it runs the same from the sources, Electron's bundle and a packaged app. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { DatabaseSync } = require('node:sqlite');
const db = new DatabaseSync(workerData.path, { enableForeignKeyConstraints: true, timeout: 5000 });
db.exec('PRAGMA synchronous = FULL');
// The same 64 MiB page cache as the host's connection: each insert touches a leaf of every index.
db.exec('PRAGMA cache_size = -65536');
const statements = new Map();
function prepared(sql) {
  let s = statements.get(sql);
  if (!s) statements.set(sql, (s = db.prepare(sql)));
  return s;
}
function transaction(steps) {
  db.exec('BEGIN IMMEDIATE');
  try {
    for (const step of steps) {
      const statement = prepared(step.sql);
      for (const args of step.rows) statement.run(...args);
    }
    db.exec('COMMIT');
  } catch (err) {
    // Some errors (a full disk) have SQLite roll back by itself.
    if (db.isTransaction) db.exec('ROLLBACK');
    throw err;
  }
}
// Batches may arrive while an earlier one is being written, each judged on top of the ones before:
// after one fails, the rest of its generation is refused unwritten (the host sends a new generation
// once it has heard of the failure and rebuilt its state).
let refusedGeneration = -1;
parentPort.on('message', (m) => {
  if (m.type === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  if (m.generation === refusedGeneration) {
    parentPort.postMessage({ id: m.id, ok: false, message: 'not written: a batch sent before it failed', code: '${REFUSED_AFTER_FAILURE}' });
    return;
  }
  try {
    transaction(m.steps);
    parentPort.postMessage({ id: m.id, ok: true });
  } catch (err) {
    refusedGeneration = m.generation;
    parentPort.postMessage({ id: m.id, ok: false, message: String((err && err.message) || err), code: err && err.code, errcode: err && err.errcode });
  }
});
`;

/** A write that failed on the thread: SQLite's message, and its codes where it gave them. */
export class WriteError extends Error {
  override name = 'WriteError';
  readonly code: string | undefined;
  readonly errcode: number | undefined;
  constructor(message: string, code?: string, errcode?: number) {
    super(message);
    this.code = code;
    this.errcode = errcode;
  }
}

type Reply = { id: number; ok: true } | { id: number; ok: false; message: string; code?: string; errcode?: number };

export class WriterThread {
  #worker: Worker;
  #closed = false;
  /** Why the thread stopped when it stopped on its own (an error, a crash): said to every later caller. */
  #stopped: string | null = null;
  #nextId = 1;
  /** Grows when a write fails: what was sent before that is refused by the thread, what is sent after is not. */
  #generation = 0;
  #pending = new Map<number, { generation: number; resolve: () => void; reject: (e: Error) => void }>();

  constructor(path: string) {
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path } });
    // Ref'd only while a write waits: an idle host's process must be free to exit.
    this.#worker.unref();
    this.#worker.on('message', (m: Reply) => {
      const call = this.#pending.get(m.id);
      if (!call) return;
      this.#pending.delete(m.id);
      if (this.#pending.size === 0) this.#worker.unref();
      if (m.ok) {
        call.resolve();
        return;
      }
      if (call.generation === this.#generation) this.#generation++;
      call.reject(new WriteError(m.message, m.code, m.errcode));
    });
    // A thread that died answers nothing more: refuse what waits, and every later write.
    const died = (why: string) => {
      this.#stopped ??= why;
      for (const call of this.#pending.values()) call.reject(this.#stoppedError());
      this.#pending.clear();
    };
    this.#worker.on('error', (err) => died(err.message));
    this.#worker.on('exit', (code) => died(`exit code ${code}`));
  }

  #stoppedError(): WriteError {
    return this.#closed
      ? new WriteError('The KB is closed: nothing more can be written.', 'ERR_WRITER_STOPPED')
      : new WriteError(`The KB's writer thread stopped (${this.#stopped}): nothing more can be written until the host restarts.`, 'ERR_WRITER_STOPPED');
  }

  /**
   * Runs the steps in one transaction on the thread; resolves once it is committed (durable).
   * Transactions are written in the order they were sent, and may be sent before earlier ones are
   * done; once one fails, those sent before its failure was heard of are refused unwritten
   * (code `ERR_AFTER_FAILED_WRITE`).
   */
  transaction(steps: WriteStep[]): Promise<void> {
    if (this.#closed || this.#stopped !== null) return Promise.reject(this.#stoppedError());
    const id = this.#nextId++;
    const generation = this.#generation;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { generation, resolve, reject });
      this.#worker.ref();
      this.#worker.postMessage({ type: 'tx', id, generation, steps });
    });
  }

  /** Finishes what was sent (messages are handled in order), then closes the thread's connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#stopped !== null) return;
    const exited = new Promise<void>((resolve) => this.#worker.once('exit', () => resolve()));
    this.#worker.ref();
    this.#worker.postMessage({ type: 'close' });
    await exited;
  }
}
