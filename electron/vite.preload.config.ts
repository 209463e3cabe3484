import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { external } from './vite.main.config.ts';

/**
 * The preload: a sandboxed preload must be a single CommonJS file that requires only `electron`,
 * so `channels.ts` is bundled in. Output: `.vite/build/preload.cjs`.
 */
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../.vite/build', import.meta.url)),
    emptyOutDir: false,
    target: 'chrome140',
    minify: false,
    sourcemap: 'inline',
    lib: { entry: fileURLToPath(new URL('./preload.ts', import.meta.url)), formats: ['cjs'], fileName: () => 'preload.cjs' },
    rollupOptions: { external },
  },
});
