import type { SetupState } from '../../../../protocol/index.ts';
import { formatDuration } from '../../format.ts';

/**
 * The program's setup (TASK.md `setup`): while it runs, and how it ended. A failure says why and
 * where its log is, since that is what the member needs to fix it.
 */
export function SetupStatus({ setup }: { setup: SetupState }) {
  const took = setup.seconds === null ? '' : ` in ${formatDuration(setup.seconds * 1000)}`;
  if (setup.state === 'running') {
    return (
      <p className="small" role="status" data-testid="setup-state" data-state="running">
        <span className="strong">Setting up</span> ({setup.why}): <code className="mono">{setup.command}</code>, with network; log{' '}
        <code className="mono">{setup.log_file}</code>
      </p>
    );
  }
  if (setup.state === 'done') {
    return (
      <p className="muted small" data-testid="setup-state" data-state="done">
        Setup done{took}: <code className="mono">{setup.command}</code>
      </p>
    );
  }
  return (
    <p className="note-warning small" role="alert" data-testid="setup-state" data-state="failed">
      <span className="strong">Setup {setup.reason === 'stopped' ? 'stopped' : 'failed'}</span>
      {setup.reason !== 'stopped' && `: ${setup.reason ?? 'unknown'}`}. Its log: <code className="mono">{setup.log_file}</code>
    </p>
  );
}
