import { WorkerFeedEvent, type WorkerFeedEventType } from '../../protocol/index.ts';
import { followEventStream } from './event-stream.ts';
import { useWorkerStore } from './worker-store.ts';

/** Every `event:` name the worker service sends (protocol/worker-api.ts). */
const EVENT_TYPES = WorkerFeedEvent.options.map((o) => o.shape.type.value) satisfies WorkerFeedEventType[];

/**
 * Follows the worker's feed over SSE and applies each event to the store; on (re)connect the whole
 * state is fetched again, so nothing missed while disconnected stays missing.
 */
export function followWorker(token: string): () => void {
  return followEventStream('/api/worker/events', token, EVENT_TYPES, {
    setConnection: useWorkerStore.getState().setConnection,
    onOpen: () => void useWorkerStore.getState().refresh(),
    onEvent: (_type, data) => {
      const parsed = WorkerFeedEvent.safeParse(data);
      if (parsed.success) useWorkerStore.getState().apply(parsed.data);
      else void useWorkerStore.getState().refresh();
    },
  });
}
