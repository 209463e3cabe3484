import type { RunState } from '../../../../protocol/index.ts';
import { GpuChoice, type GpuSetting } from './GpuChoice.tsx';

/** The run form: RunStartRequest's options as the person sets them. */
export interface RunForm {
  loop: boolean;
  mutate: boolean;
  gpus: GpuSetting;
  hypothesis: string;
}

export const EMPTY_FORM: RunForm = { loop: false, mutate: false, gpus: null, hypothesis: '' };

/**
 * The options a run was started with, read back from the service's RunState: while it goes on the
 * form shows them, so a page reloaded mid-loop (or a second tab) shows what runs, not its defaults.
 * A list of GPUs (only the API asks for one) reads as one run per GPU, the nearest the form has.
 */
export function formOf(run: RunState): RunForm {
  return { loop: run.loop, mutate: run.propose === 'mutate', gpus: run.gpus === null ? null : 'all', hypothesis: run.hypothesis ?? '' };
}

function hypothesisHint(form: RunForm, locked: boolean): string {
  if (locked) return form.mutate ? "the proposer's, for the run the output follows" : 'of this run';
  if (form.mutate) return 'the proposer writes one for each run';
  return 'what this run tries; it goes with the result to the host';
}

/**
 * Loop, proposer, GPUs and hypothesis. `locked` while a run of this program goes on: the fields then
 * show that run's options; `disabled` while any run goes on. A typed hypothesis is for runs without
 * the proposer, which writes its own.
 */
export function RunOptions(props: { form: RunForm; onChange: (f: RunForm) => void; gpuCount: number; locked: boolean; disabled: boolean }) {
  const { form, onChange, gpuCount, locked, disabled } = props;
  const set = (patch: Partial<RunForm>) => onChange({ ...form, ...patch });
  const proposed = form.mutate && !locked;
  return (
    <>
      <label className="check">
        <input type="checkbox" data-testid="run-loop" checked={form.loop} onChange={(e) => set({ loop: e.target.checked })} disabled={disabled} /> Keep going (loop until
        stopped)
      </label>
      <label className="check">
        <input type="checkbox" data-testid="run-propose" checked={form.mutate} onChange={(e) => set({ mutate: e.target.checked })} disabled={disabled} /> Propose a
        change each run (built-in mutator over TASK.md&apos;s search ranges)
      </label>
      <GpuChoice count={gpuCount} value={form.gpus} onChange={(gpus) => set({ gpus })} disabled={disabled} />
      <label className="run-hypothesis">
        <span>
          <span className="strong">Hypothesis</span> <span className="muted small">({hypothesisHint(form, locked)})</span>
        </span>
        <textarea
          className="text-input"
          data-testid="run-hypothesis"
          rows={2}
          maxLength={2000}
          value={proposed ? '' : form.hypothesis}
          placeholder={proposed ? 'Written by the proposer' : 'e.g. a lower learning rate with more steps converges further'}
          onChange={(e) => set({ hypothesis: e.target.value })}
          disabled={disabled || form.mutate}
        />
      </label>
    </>
  );
}
