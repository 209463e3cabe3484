import { useSyncExternalStore } from 'react';

// One shared one-second clock, so every countdown on the page ticks together.
let now = Date.now();
const listeners = new Set<() => void>();
let timer: ReturnType<typeof setInterval> | null = null;

function subscribeClock(listener: () => void): () => void {
  listeners.add(listener);
  if (timer === null) {
    now = Date.now(); // the clock stood still while nobody watched it
    timer = setInterval(() => {
      now = Date.now();
      for (const l of listeners) l();
    }, 1000);
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer !== null) {
      clearInterval(timer);
      timer = null;
    }
  };
}

/** `Date.now()`, re-rendering the caller once a second. */
export function useNow(): number {
  return useSyncExternalStore(subscribeClock, () => now);
}

const darkQuery = '(prefers-color-scheme: dark)';

function subscribeScheme(listener: () => void): () => void {
  const mql = window.matchMedia(darkQuery);
  mql.addEventListener('change', listener);
  return () => mql.removeEventListener('change', listener);
}

/** The colour scheme the page is drawn in, following the system setting live. */
export function useColorScheme(): 'light' | 'dark' {
  return useSyncExternalStore(subscribeScheme, () => (window.matchMedia(darkQuery).matches ? 'dark' : 'light'));
}
