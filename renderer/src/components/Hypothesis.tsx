import { useState } from 'react';

/** Past this many characters a hypothesis is cut in lists; the whole text is on hover and on "more". */
const SHORT = 90;

/** A member's hypothesis in one line of a list: cut when long, whole on hover or on expand. */
export function Hypothesis({ text }: { text: string }) {
  const [open, setOpen] = useState(false);
  const full = text.trim();
  if (full === '') return <span className="muted">No hypothesis given.</span>;
  const long = full.length > SHORT;
  return (
    <span className={`hypothesis${open ? ' is-open' : ''}`} title={long && !open ? full : undefined} data-testid="hypothesis">
      {long && !open ? `${full.slice(0, SHORT).trimEnd()}…` : full}
      {long && (
        <>
          {' '}
          <button
            type="button"
            className="link-btn small"
            data-testid="hypothesis-toggle"
            aria-expanded={open}
            onClick={(e) => {
              // The row around it selects the result; this only opens the text.
              e.stopPropagation();
              setOpen((o) => !o);
            }}
          >
            {open ? 'less' : 'more'}
          </button>
        </>
      )}
    </span>
  );
}
