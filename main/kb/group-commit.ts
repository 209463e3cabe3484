/**
 * Group commit: items added in the same turn of the event loop are written together by one call
 * to `write` (one transaction, one fsync), and each `add` resolves when its batch is durable.
 * Batches are written one after another, in the order items were added; when a write fails, that
 * batch and everything queued behind it are refused.
 */
export class GroupCommitter<T> {
  #write: (batch: T[]) => Promise<void>;
  #queue: { item: T; resolve: () => void; reject: (err: unknown) => void }[] = [];
  #scheduled = false;
  #chain: Promise<void> = Promise.resolve();

  constructor(write: (batch: T[]) => Promise<void>) {
    this.#write = write;
  }

  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        // setImmediate runs after the pending I/O callbacks, so concurrent requests share a batch.
        setImmediate(() => {
          this.#scheduled = false;
          this.#chain = this.#chain.then(() => this.#flush());
        });
      }
    });
  }

  async #flush(): Promise<void> {
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length === 0) return;
    try {
      await this.#write(batch.map((b) => b.item));
      for (const b of batch) b.resolve();
    } catch (err) {
      // What is queued was judged on top of the batch that failed: refuse it too, so the caller can
      // rebuild its state from what is really on disk.
      const queued = this.#queue;
      this.#queue = [];
      for (const b of [...batch, ...queued]) b.reject(err);
    }
  }

  /** Resolves when everything added so far has been written (or refused). */
  async drain(): Promise<void> {
    while (this.#queue.length > 0 || this.#scheduled) {
      await new Promise((r) => setImmediate(r));
      await this.#chain;
    }
    await this.#chain;
  }
}
