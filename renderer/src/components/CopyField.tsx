import { useEffect, useRef, useState } from 'react';
import { copyText } from '../clipboard.ts';

interface Props {
  /** What the field is, e.g. "Public URL"; names the button for screen readers. */
  label: string;
  text: string;
  testId?: string;
}

type State = 'idle' | 'copied' | 'manual';

/** A line of monospace text with a Copy button; when copying is refused, it selects the text instead. */
export function CopyField({ label, text, testId }: Props) {
  const [state, setState] = useState<State>('idle');
  const codeRef = useRef<HTMLElement>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => () => {
    if (timer.current !== null) clearTimeout(timer.current);
  }, []);

  const onCopy = async () => {
    const ok = await copyText(text);
    if (!ok && codeRef.current) {
      const range = document.createRange();
      range.selectNodeContents(codeRef.current);
      const sel = window.getSelection();
      sel?.removeAllRanges();
      sel?.addRange(range);
    }
    setState(ok ? 'copied' : 'manual');
    if (timer.current !== null) clearTimeout(timer.current);
    timer.current = setTimeout(() => setState('idle'), ok ? 2_000 : 8_000);
  };

  return (
    <div className="copy-field">
      <span className="copy-label">{label}</span>
      <code ref={codeRef} className="copy-text" data-testid={testId}>
        {text}
      </code>
      <button type="button" className="btn btn-small" onClick={() => void onCopy()} aria-label={`Copy the ${label}`}>
        {state === 'copied' ? 'Copied' : 'Copy'}
      </button>
      <span className="copy-feedback" role="status" aria-live="polite">
        {state === 'copied' ? 'Copied to the clipboard.' : state === 'manual' ? 'Copying was blocked: the text is selected, press Ctrl+C (⌘C).' : ''}
      </span>
    </div>
  );
}
