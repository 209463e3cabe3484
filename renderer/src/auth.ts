/**
 * The owner token. The host prints `http://127.0.0.1:PORT/#token=…`; the fragment is never sent to a
 * server, so the token appears in no request line or log. On first load we take it from the
 * fragment, keep it in sessionStorage (this tab only, gone when the tab closes) and drop the
 * fragment from the address bar and history, so it is not left on screen or in a bookmark.
 *
 * In the desktop app there is no fragment: the Electron preload exposes `window.cohort.ownerToken()`
 * (see `electron/preload.ts`), which `resolveOwnerToken` asks when neither the fragment nor this tab's
 * storage has a token.
 */
import type {} from './desktop-bridge.d.ts';

const STORAGE_KEY = 'cohort.ownerToken';

function readFragmentToken(hash: string): string | null {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const token = params.get('token')?.trim();
  return token ? token : null;
}

function storage(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null; // storage disabled: the token then lives in memory for this page only
  }
}

let memoryToken: string | null = null;

/** Reads the token once at startup: from the fragment (then removed), else from this tab's storage. */
export function takeOwnerToken(): string | null {
  const fromFragment = readFragmentToken(window.location.hash);
  if (fromFragment !== null) {
    memoryToken = fromFragment;
    storage()?.setItem(STORAGE_KEY, fromFragment);
    window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search);
    return fromFragment;
  }
  return memoryToken ?? storage()?.getItem(STORAGE_KEY) ?? null;
}

/** Forgets the token (e.g. after the host refused it). */
export function forgetOwnerToken(): void {
  memoryToken = null;
  storage()?.removeItem(STORAGE_KEY);
}

/** The browser path first (fragment, then tab storage); else the desktop bridge, when there is one. */
export async function resolveOwnerToken(): Promise<string | null> {
  const token = takeOwnerToken();
  if (token !== null) return token;
  const bridge = window.cohort;
  if (bridge === undefined) return null;
  try {
    const fromShell = (await bridge.ownerToken()).trim();
    if (fromShell === '') return null;
    memoryToken = fromShell;
    return fromShell;
  } catch {
    return null;
  }
}
