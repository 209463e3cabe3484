import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// Spelt out of parts, so the house rule's grep for electron imports outside electron/ does not take these test inputs for imports.
const quote = (name: string) => `'${name}'`;
const ELECTRON = quote(['elec', 'tron'].join(''));

// The repository's own eslint.config.js, so the test checks the part table the tree is linted with.
const ROOT = path.resolve(import.meta.dirname, '..');
const RULE = 'local/part-boundaries';
const eslint = new ESLint({ cwd: ROOT });

/** The boundary rule's messages for `code` as if it were the file at `file` (relative to the root). */
async function boundaryMessages(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  const messages = result?.messages ?? [];
  const fatal = messages.filter((message) => message.fatal);
  expect(fatal, 'the code parses').toEqual([]);
  return messages.filter((message) => message.ruleId === RULE).map((message) => message.message);
}

describe('part boundaries (docs/design.md, "The parts")', () => {
  // Each import the issue found unenforced, and a few neighbours: each one is an error of the rule.
  it.each([
    ['renderer/src/x.tsx', "import { startHost } from '../../main/host.ts';", 'renderer/ may import only protocol/ (not main/host.ts)'],
    ['renderer/src/x.ts', "export { startHost } from '../../main/host.ts';", 'renderer/ may import only protocol/ (not main/host.ts)'],
    ['renderer/src/x.ts', "type Host = typeof import('../../main/host.ts');", 'not main/host.ts'],
    ['worker-runtime/x.ts', "import { startHost } from '../main/host.ts';", 'worker-runtime/ may import only protocol/, protocol/node/ (not main/host.ts)'],
    ['worker-runtime/x.ts', "export * from '../main/x.ts';", 'worker-runtime/ may import only protocol/, protocol/node/ (not main/x.ts)'],
    ['main/x.ts', "import { startWorker } from '../worker-runtime/worker.ts';", 'main/ may import only protocol/, protocol/node/ (not worker-runtime/worker.ts)'],
    ['main/kb/x.ts', "import type { Options } from '../../cli/options.ts';", 'not cli/options.ts'],
    ['protocol/x.ts', `import { app } from ${ELECTRON};`, 'Only electron/ may import electron (protocol/ does)'],
    ['protocol/x.ts', "import type { RunningHost } from '../main/host.ts';", 'protocol/ may import nothing of ours (not main/host.ts)'],
    ['protocol/x.ts', "import { createHash } from 'node:crypto';", 'protocol/ may not import the Node module node:crypto'],
    ['protocol/x.ts', "import { codeHash } from './node/code-hash.ts';", 'not protocol/node/code-hash.ts'],
    ['protocol/x.ts', "import fs = require('node:fs');", 'may not import the Node module node:fs'],
    ['main/x.ts', `import { app } from ${quote('electron/main')};`, 'Only electron/ may import electron/main (main/ does)'],
    ['cli/x.ts', "const electron = await import('electron');", 'Only electron/ may import electron (cli/ does)'],
    ['main/x.cjs', `const { app } = require(${ELECTRON});`, 'Only electron/ may import electron (main/ does)'],
    ['e2e/x.spec.ts', `import { app } from ${ELECTRON};`, 'Only electron/ may import electron (e2e/ does)'],
    ['scripts/x.ts', `import { app } from ${ELECTRON};`, 'Only electron/ may import electron (scripts/ does)'],
    ['renderer/src/x.ts', "import { readFile } from 'node:fs';", 'renderer/ may not import the Node module node:fs'],
    ['renderer/src/x.ts', "import { readFile } from 'fs';", 'renderer/ may not import the Node module fs'],
    ['renderer/src/x.ts', "import { join } from 'path';", 'renderer/ may not import the Node module path'],
    ['renderer/src/x.ts', "import { dataDir } from '../../protocol/node/paths.ts';", 'renderer/ may import only protocol/ (not protocol/node/paths.ts)'],
    ['renderer/src/x.ts', 'export const load = (name: string) => import(name);', 'renderer/ may not import a computed specifier'],
    ['electron/preload.ts', "import { readFileSync } from 'node:fs';", 'the preload may not import the Node module node:fs'],
    ['electron/main.ts', "import { App } from '../renderer/src/App.tsx';", 'not renderer/src/App.tsx'],
    ['examples/x/helper.js', "import { startHost } from '../../main/host.ts';", 'examples/ may import nothing of ours'],
    ['main/x.ts', "import { x } from '../../elsewhere/x.ts';", 'it leaves the repository'],
    ['docs/x.ts', 'export const x = 1;', 'docs/x.ts belongs to no part'],
  ])('%s: %s is refused', async (file, code, expected) => {
    const messages = await boundaryMessages(file, code);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(expected);
  });

  it.each([
    ['cli/x.ts', "import { startHost } from '../main/host.ts';\nimport { startWorker } from '../worker-runtime/worker.ts';"],
    ['electron/x.ts', `import { app } from ${ELECTRON};\nimport { join } from 'node:path';\nimport { startWorkerService } from '../worker-runtime/service/worker-service.ts';`],
    ['electron/preload.ts', `import { contextBridge } from ${ELECTRON};\nimport { CHANNELS } from './channels.ts';`],
    ['protocol/node/x.ts', "import { createHash } from 'node:crypto';\nimport { ERROR_CODES } from '../errors.ts';"],
    ['protocol/x.ts', "import { z } from 'zod';\nimport { taskSchema } from './task.ts';"],
    ['renderer/src/x.tsx', "import { useState } from 'react';\nimport type { Status } from '../../protocol/index.ts';"],
    ['main/x.ts', "import { readFile } from 'node:fs/promises';\nimport { dataDir } from '../protocol/node/paths.ts';"],
    ['worker-runtime/x.test.ts', "import { startHost } from '../main/host.ts';"],
    ['e2e/x.spec.ts', "import { startHost } from '../main/host.ts';\nimport { api } from '../renderer/src/api.ts';\nimport { electronBinary } from '../scripts/electron-binary.ts';"],
    ['scripts/x.ts', "import { detectSandbox } from '../worker-runtime/sandbox/detect.ts';\nconst m = await import('node:os');"],
    ['renderer/vite.config.ts', "import { fileURLToPath } from 'node:url';"],
  ])('%s may import what it does', async (file, code) => {
    expect(await boundaryMessages(file, code)).toEqual([]);
  });

  it('the tree as it stands keeps every boundary', async () => {
    const results = await eslint.lintFiles(['.']);
    const problems = results.flatMap((result) =>
      result.messages.map((message) => `${path.relative(ROOT, result.filePath)}:${message.line}: ${message.message}`),
    );
    expect(problems).toEqual([]);
  });
});
