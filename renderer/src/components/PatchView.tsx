/** A unified diff with added, removed and hunk lines coloured. */
export function PatchView({ patch, id }: { patch: string; id: string }) {
  const lines = patch.replace(/\n$/, '').split('\n');
  return (
    <pre className="patch" id={id} data-testid="patch" tabIndex={0} aria-label="Unified diff">
      {lines.map((line, i) => (
        <span key={i} className={lineClass(line)}>
          {line}
          {'\n'}
        </span>
      ))}
    </pre>
  );
}

function lineClass(line: string): string {
  if (line.startsWith('+++') || line.startsWith('---') || line.startsWith('diff ') || line.startsWith('index ')) return 'patch-file';
  if (line.startsWith('@@')) return 'patch-hunk';
  if (line.startsWith('+')) return 'patch-add';
  if (line.startsWith('-')) return 'patch-del';
  return 'patch-ctx';
}
