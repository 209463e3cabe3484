/**
 * Who may use the program home at a time: runs share it (they only read it), the program's setup
 * has it alone (it rewrites the environment and data that runs read). With one experiment per GPU,
 * a program that changes mid-loop makes one slot set up while others still run: the setup waits
 * for those runs to end, and no run starts while it goes on. A waiting setup goes before runs that
 * ask after it, so a busy loop cannot hold it off forever.
 */
export class HomeLock {
  #readers = 0;
  #writing = false;
  readonly #queue: { write: boolean; go: () => void }[] = [];

  /** Runs `task` while the home is shared (a run). */
  shared<T>(task: () => Promise<T>): Promise<T> {
    return this.#with(false, task);
  }

  /** Runs `task` with the home to itself (a setup). */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    return this.#with(true, task);
  }

  async #with<T>(write: boolean, task: () => Promise<T>): Promise<T> {
    await this.#acquire(write);
    try {
      return await task();
    } finally {
      if (write) this.#writing = false;
      else this.#readers -= 1;
      this.#drain();
    }
  }

  #acquire(write: boolean): Promise<void> {
    if (this.#queue.length === 0 && this.#free(write)) {
      this.#take(write);
      return Promise.resolve();
    }
    return new Promise((go) => this.#queue.push({ write, go }));
  }

  #free(write: boolean): boolean {
    return !this.#writing && (!write || this.#readers === 0);
  }

  #take(write: boolean): void {
    if (write) this.#writing = true;
    else this.#readers += 1;
  }

  /** Lets in, in order, whoever may go now: one writer, or every reader up to the next writer. */
  #drain(): void {
    while (this.#queue.length > 0 && this.#free(this.#queue[0]!.write)) {
      const next = this.#queue.shift()!;
      this.#take(next.write);
      next.go();
      if (next.write) return;
    }
  }
}
