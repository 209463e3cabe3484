import { fileURLToPath } from 'node:url';
import { defineConfig, mergeConfig } from 'vite';
import renderer from '../renderer/vite.config.ts';

/**
 * The owner UI for a packaged app: the same build as `npm run build:renderer`, written where Forge's
 * Vite plugin packs renderers (`.vite/renderer/main_window`). The host's owner listener serves it
 * from there (see `rendererDir()` in electron/main.ts); the window never loads it from disk.
 */
export default mergeConfig(
  renderer,
  defineConfig({ build: { outDir: fileURLToPath(new URL('../.vite/renderer/main_window', import.meta.url)) } }),
);
