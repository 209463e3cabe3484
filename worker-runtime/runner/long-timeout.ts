/** The longest delay setTimeout keeps (a signed 32-bit count of ms, ~24.8 days); a longer one fires after 1 ms. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * setTimeout for any delay: a longer one than MAX_TIMEOUT_MS is waited out in steps, so a long
 * budget can never turn into a kill at once. Returns the function that cancels it.
 */
export function setLongTimeout(fn: () => void, ms: number): () => void {
  let timer: NodeJS.Timeout | undefined;
  const arm = (left: number) => {
    timer = left > MAX_TIMEOUT_MS ? setTimeout(() => arm(left - MAX_TIMEOUT_MS), MAX_TIMEOUT_MS) : setTimeout(fn, left);
  };
  arm(Math.max(0, ms));
  return () => clearTimeout(timer);
}
