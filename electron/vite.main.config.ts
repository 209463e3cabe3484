import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Node built-ins (node:sqlite included) and electron stay external; everything else is bundled. */
export const external = ['electron', /^electron\//, ...builtinModules, ...builtinModules.map((m) => `node:${m}`), /^node:/];

/**
 * The Electron main process: `electron/main.ts` plus the host it starts (main/, protocol/ and their
 * npm dependencies) in one CommonJS file, `.vite/build/main.cjs` (`.cjs` because the package is
 * `"type": "module"`). Used by `npm run build:electron` and by Forge's Vite plugin (which merges its
 * own defaults under this).
 */
export default defineConfig({
  root: ROOT,
  publicDir: false,
  logLevel: 'warn',
  resolve: { conditions: ['node'], mainFields: ['module', 'jsnext:main', 'jsnext'] },
  // A packaged app carries .vite/ only, no node_modules: bundle fastify, zod, yaml, diff too.
  ssr: { noExternal: true },
  build: {
    outDir: fileURLToPath(new URL('../.vite/build', import.meta.url)),
    emptyOutDir: false,
    target: 'node22',
    minify: false,
    sourcemap: true,
    ssr: true,
    lib: { entry: fileURLToPath(new URL('./main.ts', import.meta.url)), formats: ['cjs'], fileName: () => 'main.cjs' },
    rollupOptions: { external },
  },
});
