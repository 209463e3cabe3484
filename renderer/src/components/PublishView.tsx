import { useState, type FormEvent } from 'react';
import type { InvalidProgramBody, ProgramManifest } from '../../../protocol/index.ts';
import { appApi, errorMessage, programIssues } from '../api.ts';
import { RichText } from './RichText.tsx';

/**
 * Publish a research program: a folder on this machine with TASK.md. The host checks it; every
 * problem is shown here, placed by file, line and field, so the owner can fix them all at once.
 */
export function PublishView({ token, onPublished }: { token: string; onPublished(shipped: ProgramManifest): void }) {
  const [dir, setDir] = useState('');
  const [busy, setBusy] = useState(false);
  const [invalid, setInvalid] = useState<InvalidProgramBody | null>(null);
  const [error, setError] = useState<string | null>(null);
  const picker = window.cohort?.pickFolder;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setInvalid(null);
    setError(null);
    try {
      const published = await appApi.publish(token, dir);
      onPublished(published.manifest);
    } catch (err) {
      const issues = programIssues(err);
      if (issues !== null) setInvalid(issues);
      else setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const choose = async () => {
    const picked = await picker?.().catch(() => null);
    if (picked) setDir(picked);
  };

  return (
    <main className="content narrow">
      <section className="section panel" aria-labelledby="publish-title">
        <h1 id="publish-title">Publish a research program</h1>
        <p className="muted">
          A program is a folder with a <code>TASK.md</code> (the objective, the metric, the keep rule and the reward pool in its front
          matter) and the training script members edit. <code>examples/quadratic</code> and <code>examples/tiny-gpt</code> in the
          Cohort checkout are ready to publish.
        </p>
        <form className="publish-form" onSubmit={(e) => void submit(e)} aria-describedby={invalid || error ? 'publish-problem' : undefined}>
          <label htmlFor="program-dir" className="strong">
            Program folder
          </label>
          <div className="publish-row">
            <input
              id="program-dir"
              data-testid="program-dir"
              className="text-input mono"
              value={dir}
              onChange={(e) => setDir(e.target.value)}
              placeholder="/home/you/research/tiny-gpt"
              spellCheck={false}
              autoComplete="off"
              required
              aria-invalid={invalid !== null}
            />
            {picker && (
              <button type="button" className="btn" onClick={() => void choose()}>
                Choose folder…
              </button>
            )}
            <button type="submit" className="btn btn-primary" data-testid="publish" disabled={busy || dir.trim() === ''}>
              {busy ? 'Checking…' : 'Publish'}
            </button>
          </div>
        </form>
        {invalid !== null && (
          <div id="publish-problem" className="banner banner-error publish-issues" role="alert" data-testid="publish-errors">
            <p className="strong">
              {invalid.issues.length === 1 ? 'This folder is not a valid program yet:' : `This folder is not a valid program yet (${invalid.issues.length} problems):`}
            </p>
            <ul>
              {invalid.issues.map((issue, i) => (
                <li key={i} data-testid="publish-issue" data-file={issue.file} data-line={issue.line ?? ''} data-field={issue.field ?? ''}>
                  <code className="issue-where">
                    {issue.file}
                    {issue.line !== null ? `:${issue.line}` : ''}
                  </code>{' '}
                  {issue.field !== null && <strong className="mono">{issue.field}</strong>} <RichText text={issue.message} />
                </li>
              ))}
            </ul>
            <p className="small">
              Fix {invalid.issues.length === 1 ? 'it' : 'them'} in <code>{invalid.dir}</code> and press Publish again.
            </p>
          </div>
        )}
        {error !== null && (
          <p id="publish-problem" className="inline-error" role="alert" data-testid="publish-error">
            <RichText text={error} />
          </p>
        )}
      </section>
    </main>
  );
}
