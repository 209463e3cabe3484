/**
 * Runs tasks one after the other: the slots of one worker share the program home, so their setups
 * (which download into it) take turns instead of writing the same files at once.
 */
export class OneAtATime {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task, task);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
