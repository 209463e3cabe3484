/** A choice between a few views as pressed buttons (one pressed at a time). */
export function ViewToggle<V extends string>(p: { label: string; options: readonly { value: V; text: string }[]; value: V; onChange: (v: V) => void; testId: string }) {
  return (
    <div className="segmented" role="group" aria-label={p.label} data-testid={p.testId}>
      {p.options.map((o) => (
        <button
          key={o.value}
          type="button"
          className={`segment${o.value === p.value ? ' is-on' : ''}`}
          aria-pressed={o.value === p.value}
          data-value={o.value}
          onClick={() => p.onChange(o.value)}
        >
          {o.text}
        </button>
      ))}
    </div>
  );
}
