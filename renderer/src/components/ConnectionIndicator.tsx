import { useOwnerStore } from '../store.ts';

const TEXT = {
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'reconnecting…',
} as const;

const TITLE = {
  connecting: 'Opening the live event stream from the host.',
  live: 'Live: join requests and results appear as they happen.',
  reconnecting: 'The live event stream dropped; reconnecting. What is shown may be out of date.',
} as const;

/** Whether the SSE stream is up: "live" or "reconnecting…". */
export function ConnectionIndicator() {
  const connection = useOwnerStore((s) => s.connection);
  return (
    <span className={`connection connection-${connection}`} role="status" title={TITLE[connection]} data-testid="connection" data-state={connection}>
      <span className="connection-dot" aria-hidden="true" />
      {TEXT[connection]}
    </span>
  );
}
