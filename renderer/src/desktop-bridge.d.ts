/**
 * What the Electron preload (`electron/preload.ts`) exposes. Absent in a plain browser, so every use
 * goes through `window.cohort?.…`.
 */
export interface CohortDesktopBridge {
  /** The running host's owner token; handed over by the main process, never put in a URL. */
  ownerToken(): Promise<string>;
  /** A native folder picker; null when cancelled. */
  pickFolder(): Promise<string | null>;
}

declare global {
  interface Window {
    cohort?: CohortDesktopBridge;
  }
}
