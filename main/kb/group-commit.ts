/**
 * Group commit: items added in the same turn of the event loop are written together by one call
 * to `write` (one transaction, one fsync), and each `add` resolves when its batch is durable.
 * Batches are written in the order items were added; when a write fails, that batch and everything
 * queued behind it are refused.
 *
 * `inFlight` batches may be written at once (default 1: one waits for the one before). More is
 * only for a `write` that keeps them in order and refuses every batch sent after one that failed
 * until its caller has seen the failure (the KB's writer thread, main/store/writer-thread.ts): each
 * batch was judged on top of the ones before it. With two, the next batch is already waiting when
 * the disk finishes one, instead of waiting for this thread to hear of it and send it.
 */
export class GroupCommitter<T> {
  #write: (batch: T[]) => Promise<void>;
  #maxInFlight: number;
  #queue: { item: T; resolve: () => void; reject: (err: unknown) => void }[] = [];
  #scheduled = false;
  #inFlight = 0;
  #idle: (() => void)[] = [];

  constructor(write: (batch: T[]) => Promise<void>, opts: { inFlight?: number } = {}) {
    this.#write = write;
    this.#maxInFlight = Math.max(1, opts.inFlight ?? 1);
  }

  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        // setImmediate runs after the pending I/O callbacks, so concurrent requests share a batch.
        setImmediate(() => {
          this.#scheduled = false;
          this.#pump();
        });
      }
    });
  }

  #pump(): void {
    while (this.#inFlight < this.#maxInFlight && this.#queue.length > 0) {
      const batch = this.#queue;
      this.#queue = [];
      this.#inFlight++;
      this.#write(batch.map((b) => b.item))
        .then(
          () => {
            for (const b of batch) b.resolve();
          },
          (err: unknown) => {
            // What is queued was judged on top of the batch that failed: refuse it too, so the caller
            // can rebuild its state from what is really on disk. (A later batch already sent is
            // refused by `write` itself.)
            const queued = this.#queue;
            this.#queue = [];
            for (const b of [...batch, ...queued]) b.reject(err);
          },
        )
        .finally(() => {
          this.#inFlight--;
          this.#pump();
          if (this.#inFlight === 0 && this.#queue.length === 0 && !this.#scheduled) for (const done of this.#idle.splice(0)) done();
        });
    }
  }

  /** Resolves when everything added so far has been written (or refused). */
  async drain(): Promise<void> {
    while (this.#scheduled || this.#inFlight > 0 || this.#queue.length > 0) {
      if (this.#scheduled) await new Promise((r) => setImmediate(r));
      else await new Promise<void>((r) => this.#idle.push(r));
    }
  }
}
