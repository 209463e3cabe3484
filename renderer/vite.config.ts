import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The Cohort UI. `base: './'` keeps asset URLs relative, so the same build is served by the host's
 * loopback owner listener and can be loaded from disk by Electron. The host's CSP is
 * `script-src 'self'`: the build must produce no inline scripts and the code must not use eval.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Chromium and Electron support modulepreload natively; the polyfill would only add code.
    modulePreload: { polyfill: false },
  },
});
