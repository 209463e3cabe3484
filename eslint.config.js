// Lint rules: the recommended sets plus the part boundaries of docs/design.md ("The parts").
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { partBoundaries } from './eslint-rules/part-boundaries.ts';

// Node code that may use the Node-only protocol helpers as well as the wire contract.
const contract = ['protocol', 'protocol/node'];

/**
 * The part table: one entry per part, the first entry whose `files` match a file governs it, and
 * an import the entry does not allow is an error (eslint-rules/part-boundaries.ts). One rule with one
 * table, not one `no-restricted-imports` block per folder: flat config replaces a rule's options
 * block by block, which once let protocol/ import electron.
 * @type {import('./eslint-rules/part-boundaries.ts').Part[]}
 */
const parts = [
  {
    name: 'build and lint configuration',
    files: ['*.{js,mjs,cjs,ts}', 'eslint-rules/**', '**/vite.config.ts', '**/vite.*.config.ts'],
    imports: ['*'],
    node: true,
    electron: false,
    why: 'configuration runs in Node at build time; electron is imported by electron/ alone',
  },
  {
    name: 'e2e/',
    files: ['e2e/**'],
    imports: ['*'],
    node: true,
    electron: false,
    why: 'the specs drive the app from outside: they launch the Electron binary, they never import electron',
  },
  {
    name: 'a test',
    files: ['**/*.test.ts'],
    imports: [...contract, 'main', 'worker-runtime', 'cli', 'scripts'],
    node: true,
    electron: false,
    why: 'tests run in plain Node and may stand up a real host or worker to test against',
  },
  {
    name: 'protocol/node/',
    files: ['protocol/node/**'],
    imports: ['protocol'],
    node: true,
    electron: false,
    why: 'the Node-only helpers of the wire contract build on the contract alone',
  },
  {
    name: 'protocol/',
    files: ['protocol/**'],
    imports: [],
    node: false,
    electron: false,
    why: 'the wire contract depends on nothing of ours, and the renderer bundles it, so it stays browser-safe (Node-only helpers go in protocol/node/)',
  },
  {
    name: 'main/',
    files: ['main/**'],
    imports: contract,
    node: true,
    electron: false,
    why: 'the host runs in plain Node and knows the worker only through the wire contract',
  },
  {
    name: 'worker-runtime/',
    files: ['worker-runtime/**'],
    imports: contract,
    node: true,
    electron: false,
    why: 'the worker runs in plain Node and knows the host only through the wire contract',
  },
  {
    name: 'cli/',
    files: ['cli/**'],
    imports: [...contract, 'main', 'worker-runtime'],
    node: true,
    electron: false,
    why: 'the cohort command is thin commands over the host and the worker, in plain Node',
  },
  {
    name: 'renderer/',
    files: ['renderer/**'],
    imports: ['protocol'],
    node: false,
    electron: false,
    why: 'the renderer runs in the browser and speaks only HTTP and SSE to the loopback services',
  },
  {
    name: 'the preload',
    files: ['electron/preload.ts'],
    imports: [],
    node: false,
    electron: true,
    why: 'the preload runs in the sandboxed renderer process and only bridges two IPC calls',
  },
  {
    name: 'electron/',
    files: ['electron/**'],
    imports: [...contract, 'main', 'worker-runtime'],
    node: true,
    electron: true,
    why: 'the shell starts the host and the worker in its main process and loads the renderer as a build, never as sources',
  },
  {
    name: 'scripts/',
    files: ['scripts/**'],
    imports: [...contract, 'main', 'worker-runtime', 'cli'],
    node: true,
    electron: false,
    why: 'scripts run in plain Node: they start the Electron binary, they never import electron',
  },
  {
    name: 'bench/',
    files: ['bench/**'],
    imports: [...contract, 'main', 'worker-runtime'],
    node: true,
    electron: false,
    why: 'benchmarks run the host in plain Node',
  },
  {
    name: 'examples/',
    files: ['examples/**'],
    imports: [],
    node: true,
    electron: false,
    why: 'a research program is shipped to workers on its own and must run without Cohort',
  },
];

export default tseslint.config(
  // What .gitignore leaves out, tests' scratch folders included: a lint of the tree must not see files a running test has just written.
  { ignores: ['node_modules/**', '**/dist/**', 'out/**', '.vite/**', '.tools/**', 'coverage/**', 'e2e/artifacts/**', '.cohort-test/**', 'bench/results/**', '**/__pycache__/**', 'examples/*/data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.{js,mjs,cjs,ts,mts,cts,tsx}'],
    plugins: { local: { rules: { 'part-boundaries': partBoundaries } } },
    rules: { 'local/part-boundaries': ['error', ...parts] },
  },
);
