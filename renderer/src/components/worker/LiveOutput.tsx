import { useEffect, useRef } from 'react';
import { useWorkerStore } from '../../worker-store.ts';

/** The run's output as it arrives; follows the end unless the reader has scrolled up. */
export function LiveOutput() {
  const output = useWorkerStore((s) => s.state?.output ?? '');
  const ref = useRef<HTMLPreElement>(null);
  const follow = useRef(true);

  useEffect(() => {
    const el = ref.current;
    if (el !== null && follow.current) el.scrollTop = el.scrollHeight;
  }, [output]);

  return (
    <section className="section" aria-labelledby="output-title">
      <h2 id="output-title">Output</h2>
      {output === '' ? (
        <p className="empty">The training script&apos;s output appears here while it runs (the last 64 KB are kept).</p>
      ) : (
        <pre
          ref={ref}
          className="output live-output"
          data-testid="live-output"
          tabIndex={0}
          aria-label="Output of the run"
          onScroll={(e) => {
            const el = e.currentTarget;
            follow.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
          }}
        >
          {output}
        </pre>
      )}
    </section>
  );
}
