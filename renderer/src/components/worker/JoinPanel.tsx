import { useState, type FormEvent } from 'react';
import { errorMessage, workerApi } from '../../api.ts';
import { countdown } from '../../format.ts';
import { useNow } from '../../hooks.ts';
import { useWorkerStore } from '../../worker-store.ts';
import { RichText } from '../RichText.tsx';

const ENDED: Record<string, string> = {
  denied: 'The owner denied this join request.',
  expired: 'The code expired before the owner approved it. Ask to join again for a new code.',
  cancelled: 'You cancelled the join request.',
};

/** Join a program by its URL: the one-time code shown large, counting down, until the owner decides. */
export function JoinPanel({ token, compact }: { token: string; compact: boolean }) {
  const join = useWorkerStore((s) => s.state?.join ?? null);
  const machine = useWorkerStore((s) => s.state?.machine ?? null);
  const now = useNow();
  const [url, setUrl] = useState('');
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const waiting = join !== null && (join.state === 'waiting' || join.state === 'requesting');

  const ask = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await workerApi.join(token, url, name.trim() || undefined);
      await useWorkerStore.getState().refresh();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const cancel = async () => {
    try {
      await workerApi.cancelJoin(token);
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  if (waiting) {
    const left = join.expires_at === null ? null : join.expires_at - now;
    return (
      <section className="section panel join-waiting" aria-labelledby="join-title" data-testid="join-waiting">
        <h2 id="join-title">Waiting for the owner of {join.url}</h2>
        {join.user_code === null ? (
          <p className="loading" role="status">
            Asking the host for a code…
          </p>
        ) : (
          <>
            <p>Tell the program&apos;s owner this code. They approve it in their Cohort app (or with <code>cohort approve CODE</code>):</p>
            <p className="join-code mono" data-testid="join-code" aria-label={`Your code: ${join.user_code.split('').join(' ')}`}>
              {join.user_code}
            </p>
            <p className={`expiry${left !== null && left < 60_000 ? ' is-urgent' : ''}`} role="timer" data-testid="join-countdown">
              {left !== null && left > 0 ? `expires in ${countdown(left)}` : 'expired'}
            </p>
            <p className="muted small">
              The owner sees your name &quot;{join.name}&quot; (as you declared it), this machine ({machine?.hostname ?? '?'}, {machine?.os ?? '?'},{' '}
              {machine?.gpu ?? 'no GPU'}) and your IP address.
            </p>
          </>
        )}
        <button type="button" className="btn" onClick={() => void cancel()}>
          Cancel
        </button>
      </section>
    );
  }

  return (
    <section className="section panel" aria-labelledby="join-form-title">
      <h2 id="join-form-title">{compact ? 'Join another program' : 'Join a research program'}</h2>
      {join !== null && join.state !== 'approved' && (
        <div className="banner banner-error" role="alert" data-testid="join-result" data-state={join.state}>
          <RichText text={ENDED[join.state] ?? join.message ?? 'Joining failed.'} />
        </div>
      )}
      {join !== null && join.state === 'approved' && (
        <div className="banner banner-ok" role="status" data-testid="join-result" data-state="approved">
          Approved. {join.message ?? `You are a member of "${join.program ?? ''}".`}
        </div>
      )}
      {!compact && (
        <p className="muted">
          Paste the URL the program&apos;s owner gave you. The owner approves each request by its one-time code; your machine&apos;s name, OS and
          GPU go with it.
        </p>
      )}
      <form className="join-form" onSubmit={(e) => void ask(e)}>
        <label>
          <span className="strong">Program URL</span>
          <input
            className="text-input mono"
            data-testid="join-url"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            placeholder="https://words.trycloudflare.com"
            required
            spellCheck={false}
            autoComplete="off"
          />
        </label>
        <label>
          <span className="strong">Your name</span> <span className="muted small">(what the owner sees)</span>
          <input className="text-input" data-testid="join-name" value={name} onChange={(e) => setName(e.target.value)} placeholder={machine?.hostname ?? ''} maxLength={64} />
        </label>
        <button type="submit" className="btn btn-primary" data-testid="join-submit" disabled={busy || url.trim() === ''}>
          {busy ? 'Asking…' : 'Ask to join'}
        </button>
      </form>
      {error !== null && (
        <p className="inline-error" role="alert">
          <RichText text={error} />
        </p>
      )}
    </section>
  );
}
