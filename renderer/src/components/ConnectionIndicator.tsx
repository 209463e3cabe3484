import type { Connection } from '../store.ts';

const TEXT = {
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'reconnecting…',
} as const;

const TITLE = {
  connecting: 'Opening the live event stream.',
  live: 'Live: changes appear as they happen.',
  reconnecting: 'The live event stream dropped; reconnecting. What is shown may be out of date.',
} as const;

/** Whether the SSE stream is up: "live" or "reconnecting…". */
export function ConnectionIndicator({ connection }: { connection: Connection }) {
  return (
    <span className={`connection connection-${connection}`} role="status" title={TITLE[connection]} data-testid="connection" data-state={connection}>
      <span className="connection-dot" aria-hidden="true" />
      {TEXT[connection]}
    </span>
  );
}
