/**
 * `npm start [PROGRAM_DIR]`: the desktop app when this machine has an Electron binary
 * (`electron-forge start`), else the same UI in a browser (`cohort app`).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { findElectronBinary } from './electron-binary.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const program = process.argv[2];
const binary = findElectronBinary();

function run(command: string, args: string[]): void {
  const child = spawn(command, args, { cwd: ROOT, stdio: 'inherit', shell: process.platform === 'win32' });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

if (binary !== null) {
  console.log(`Electron: ${binary}`);
  run(fileURLToPath(new URL('../node_modules/.bin/electron-forge', import.meta.url)), ['start', ...(program ? ['--', '--program', program] : [])]);
} else {
  console.log('No Electron binary here; serving the same UI in your browser.');
  console.log('(Open the URL printed below.)');
  run(process.execPath, [fileURLToPath(new URL('../cli/cohort.ts', import.meta.url)), 'app', ...(program ? [program] : [])]);
}
