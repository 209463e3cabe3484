/** The run's GPU choice as RunStartRequest.gpus has it: null (one run at a time) or every GPU. */
export type GpuSetting = 'all' | null;

/**
 * One run at a time, or one per GPU (docs/design.md, "Hardware"). Offered only where there is a
 * choice: a machine with two GPUs or more.
 */
export function GpuChoice({ count, value, onChange, disabled }: { count: number; value: GpuSetting; onChange: (v: GpuSetting) => void; disabled: boolean }) {
  if (count < 2) return null;
  return (
    <label className="check">
      <span>GPUs</span>
      <select data-testid="gpu-choice" value={value ?? 'one'} disabled={disabled} onChange={(e) => onChange(e.target.value === 'all' ? 'all' : null)}>
        <option value="one">one run at a time (on all {count} GPUs)</option>
        <option value="all">one run per GPU (up to {count} at once, each in its own workspace)</option>
      </select>
    </label>
  );
}
