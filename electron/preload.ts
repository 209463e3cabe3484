/**
 * The narrow bridge between the sandboxed renderer and the main process. The renderer gets two
 * functions and nothing else: no ipcRenderer, no Node. Sandboxed preloads are CommonJS and may only
 * import `electron`'s renderer modules; `channels.ts` is bundled in by Vite.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { CHANNELS } from './channels.ts';

contextBridge.exposeInMainWorld('cohort', {
  ownerToken: (): Promise<string> => ipcRenderer.invoke(CHANNELS.ownerToken),
  pickFolder: (): Promise<string | null> => ipcRenderer.invoke(CHANNELS.pickFolder),
});
