import { KbEvent, type KbEventType } from '../../protocol/index.ts';
import { followEventStream } from './event-stream.ts';
import { refreshSoon, useOwnerStore } from './store.ts';

/** Every `event:` name the host sends (protocol/events.ts). */
const EVENT_TYPES = KbEvent.options.map((o) => o.shape.type.value) satisfies KbEventType[];

/**
 * Follows the owner's KB events over SSE. Any event means "something changed": the status is
 * refetched (debounced), so the UI has a single source of truth. Returns a function that stops.
 */
export function followEvents(token: string): () => void {
  return followEventStream('/api/owner/events', token, EVENT_TYPES, {
    setConnection: useOwnerStore.getState().setConnection,
    // Events may have been missed while disconnected: catch up.
    onOpen: () => refreshSoon(0),
    // A status fetch tells the owner why (host gone, token refused) when it fails too.
    onError: () => refreshSoon(0),
    onEvent: (type, data) => {
      if (!KbEvent.safeParse(data).success) console.warn(`Cohort: an unexpected "${type}" event; refreshing anyway.`);
      refreshSoon();
    },
  });
}
