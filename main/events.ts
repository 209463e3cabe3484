import { EventEmitter } from 'node:events';
import type { KbEvent } from '../protocol/index.ts';

/** The host's in-process bus: groupauth and the KB publish, the owner SSE stream and the CLI listen. */
export class EventBus {
  #emitter = new EventEmitter();

  constructor() {
    // Every open owner window holds one listener; do not warn at the default 10.
    this.#emitter.setMaxListeners(0);
  }

  publish(event: KbEvent): void {
    this.#emitter.emit('event', event);
  }

  subscribe(listener: (event: KbEvent) => void): () => void {
    this.#emitter.on('event', listener);
    return () => this.#emitter.off('event', listener);
  }
}
