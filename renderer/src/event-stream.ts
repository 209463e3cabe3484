import type { Connection } from './store.ts';

const RETRY_MS = 3_000;

export interface StreamHandlers {
  setConnection(connection: Connection): void;
  /** The stream (re)opened: catch up on what may have been missed. */
  onOpen(): void;
  /** It dropped. */
  onError?(): void;
  /** One named event's `data` (already JSON-parsed; null when it was not JSON). */
  onEvent(type: string, data: unknown): void;
}

/**
 * Follows one SSE stream. `EventSource` cannot set headers, so the token rides as `?token=` on the
 * stream routes only. The browser reconnects by itself after a dropped stream; when it gives up (an
 * HTTP error) a new one is opened after a pause. The browser sends `Last-Event-ID` on reconnecting,
 * so the host replays what was missed, or sends `resync` when it cannot. Returns a function that stops following.
 */
export function followEventStream(path: string, token: string, types: readonly string[], handlers: StreamHandlers): () => void {
  let source: EventSource | null = null;
  let retry: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;

  const open = () => {
    retry = null;
    if (stopped) return;
    const es = new EventSource(`${path}?token=${encodeURIComponent(token)}`);
    source = es;
    es.onopen = () => {
      handlers.setConnection('live');
      handlers.onOpen();
    };
    es.onerror = () => {
      handlers.setConnection('reconnecting');
      if (es.readyState === EventSource.CLOSED) {
        es.close();
        if (!stopped && retry === null) retry = setTimeout(open, RETRY_MS);
      }
      handlers.onError?.();
    };
    const onEvent = (e: MessageEvent<string>) => {
      let data: unknown = null;
      try {
        data = JSON.parse(e.data);
      } catch {
        // a malformed event: the handler decides
      }
      handlers.onEvent(e.type, data);
    };
    for (const type of types) es.addEventListener(type, onEvent);
    // The host could not replay what was missed (its buffer moved on, or it restarted): catch up as on open.
    es.addEventListener('resync', () => handlers.onOpen());
  };

  open();
  return () => {
    stopped = true;
    if (retry !== null) clearTimeout(retry);
    source?.close();
  };
}
