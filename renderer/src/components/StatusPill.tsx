import type { ResultStatus } from '../../../protocol/index.ts';

const TITLE: Record<ResultStatus, string> = {
  keep: 'Kept: it beat the reference and was accepted.',
  discard: 'Discarded: it did not beat the reference.',
  crash: 'Crashed or ran over the time budget.',
  duplicate: 'Duplicate: the same code as an earlier result.',
};

/** A result's status as colour and text (never colour alone). */
export function StatusPill({ status }: { status: ResultStatus }) {
  return (
    <span className={`pill pill-${status}`} title={TITLE[status]} data-testid="status">
      {status}
    </span>
  );
}
