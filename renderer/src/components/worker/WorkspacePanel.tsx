import { useState } from 'react';
import { PatchView } from '../PatchView.tsx';

/** Where the program's code lives on this machine, and what differs from the champion's. */
export function WorkspacePanel({ dir, diff }: { dir: string; diff: string }) {
  const [open, setOpen] = useState(false);
  return (
    <section className="section" aria-labelledby="ws-title" data-testid="workspace">
      <h2 id="ws-title">Workspace</h2>
      <p>
        <code className="mono">{dir}</code>
      </p>
      <p className="muted small">
        Edit the program&apos;s editable files there (or let an agent do it); a run submits their diff against the champion. Each run starts from the
        current champion; edits are stashed, never lost, when a new champion arrives.
      </p>
      {diff === '' ? (
        <p className="muted small">No local changes: the workspace holds the champion&apos;s code.</p>
      ) : (
        <>
          <button type="button" className="btn btn-small" aria-expanded={open} aria-controls="ws-diff" onClick={() => setOpen(!open)}>
            {open ? 'Hide your changes' : 'Show your changes'}
          </button>
          {open && <PatchView patch={diff} id="ws-diff" />}
        </>
      )}
    </section>
  );
}
