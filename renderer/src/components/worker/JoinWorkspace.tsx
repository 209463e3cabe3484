import type { JoinWorkspace as JoinWorkspaceState } from '../../../../protocol/index.ts';
import { RichText } from '../RichText.tsx';

/**
 * The workspace laid out right after joining (issue 13, item 7): where it is, which files to edit,
 * and what Run does with it, so that the first run can already carry the member's idea.
 */
export function JoinWorkspace({ workspace, program }: { workspace: JoinWorkspaceState; program: string }) {
  return (
    <section className="section panel banner-ok" aria-labelledby="joined-title" data-testid="join-workspace" data-state={workspace.state}>
      <h2 id="joined-title">You joined {program}: your workspace</h2>
      {workspace.state === 'laying-out' && (
        <p className="muted" role="status">
          Laying it out with the champion&apos;s code…
        </p>
      )}
      {workspace.state === 'failed' && (
        <p className="note-warning">
          <RichText text={workspace.message} />
        </p>
      )}
      {workspace.state === 'ready' && (
        <>
          <p>
            <code className="mono" data-testid="join-workspace-dir">
              {workspace.dir}
            </code>
          </p>
          <p>
            Edit{' '}
            {workspace.editable.map((file, i) => (
              <span key={file}>
                {i > 0 && ', '}
                <code className="mono">{file}</code>
              </span>
            ))}{' '}
            there: it holds the champion&apos;s code. <span className="strong">Run once</span> then runs <code className="mono">{workspace.run}</code> on
            it
            {workspace.sandboxed ? ', sandboxed (no network, your home hidden),' : ' NOT sandboxed (the app was started with --no-sandbox),'} and submits
            the result.
          </p>
        </>
      )}
    </section>
  );
}
