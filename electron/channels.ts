/** IPC channel names of the preload bridge (kept apart from the zod schemas so the preload stays tiny). */
export const CHANNELS = {
  ownerToken: 'cohort:owner-token',
  pickFolder: 'cohort:pick-folder',
} as const;
