import type { ResultSummary } from '../../protocol/index.ts';
import type { MetricFormat } from './format.ts';

/** What the badges beside a verdict line already say, as the host's reasons may begin with it. */
const SAID_BY_BADGES: Record<string, readonly string[]> = {
  keep: ['keep', 'kept'],
  discard: ['discard', 'discarded'],
  crash: ['crash', 'crashed'],
  duplicate: ['duplicate'],
};

/** Decimal numbers in the host's words ("2.5 beats the baseline 3.0 by 0.5"); ids (r12) and counts stay. */
const DECIMAL = /(?<![\w.])\d+\.\d+(?![\w.])/g;

/**
 * The line under a result that says why it got its status, without repeating the status pill or
 * the verification badge beside it (the host's reason reads "not reproduced: …" next to a "not
 * reproduced" badge, "duplicate of r3 …" next to a "duplicate" pill, "crashed" next to "crash"),
 * and with its numbers in the metric's one format. Empty when the badges already said it all.
 */
export function verdictText(r: Pick<ResultSummary, 'status' | 'verification' | 'reason'>, fmt: MetricFormat): string {
  // "duplicate of r3 (same code; …)" beside a "duplicate" pill: say what it is a duplicate of, once.
  let text = r.reason
    .trim()
    .replace(/^duplicate of (\S+) \(same code; first submission wins\)$/i, 'same code as $1, which came first')
    .replace(/^duplicate of /i, 'same code as ');
  const said = [...(SAID_BY_BADGES[r.status] ?? []), ...(r.verification === 'not_reproduced' ? ['not reproduced'] : [])];
  for (let changed = true; changed; ) {
    changed = false;
    for (const word of said) {
      const lower = text.toLowerCase();
      if (lower === word) return '';
      if (lower.startsWith(`${word}:`) || lower.startsWith(`${word} `)) {
        text = text.slice(word.length).replace(/^:?\s*/, '');
        changed = true;
      }
    }
  }
  text = text.replace(DECIMAL, (n) => fmt.value(Number(n)));
  return text.charAt(0).toUpperCase() + text.slice(1);
}
