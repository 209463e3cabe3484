import { formatBytes, type ProgramManifest } from '../../../protocol/index.ts';

/**
 * What members receive from the program just published (count, size, every file), and what the
 * folder holds that stays here, so the owner can spot a dataset or a key before a stranger pulls it.
 */
export function ShippedFiles({ manifest }: { manifest: ProgramManifest }) {
  const more = manifest.left_out_count - manifest.left_out.length;
  return (
    <section className="section" aria-labelledby="shipped-title" data-testid="shipped-files">
      <h2 id="shipped-title">
        What members receive{' '}
        <span className="muted small">
          {manifest.count} {manifest.count === 1 ? 'file' : 'files'}, {formatBytes(manifest.bytes)}
        </span>
      </h2>
      <details>
        <summary>Files</summary>
        <ul className="mono small">
          {manifest.files.map((f) => (
            <li key={f.path}>
              {f.path} <span className="muted">{formatBytes(f.bytes)}</span>
            </li>
          ))}
        </ul>
      </details>
      {manifest.left_out_count > 0 && (
        <details>
          <summary>
            Left out ({manifest.left_out_count}): a <code>.cohortignore</code> in the folder leaves out more
          </summary>
          <ul className="small">
            {manifest.left_out.map((e) => (
              <li key={e.path}>
                <code>{e.path}</code> <span className="muted">{e.why}</span>
              </li>
            ))}
            {more > 0 && <li className="muted">… and {more} more</li>}
          </ul>
        </details>
      )}
    </section>
  );
}
