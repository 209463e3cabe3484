import type { TaskSpec } from '../../protocol/index.ts';

/**
 * The program's `env` (TASK.md) as setup and runs get it. Values are literal, except that a value
 * that is `$HOME` or `~`, or starts with `$HOME/` or `~/`, means the program home: an owner can put
 * a virtual environment or a cache there (`UV_PROJECT_ENVIRONMENT: $HOME/venv`) without knowing
 * where a worker keeps it.
 */
export function programEnv(spec: Pick<TaskSpec, 'env'>, home: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(spec.env ?? {})) out[name] = inHome(value, home);
  return out;
}

function inHome(value: string, home: string): string {
  for (const prefix of ['$HOME', '~']) {
    if (value === prefix) return home;
    if (value.startsWith(`${prefix}/`)) return `${home}${value.slice(prefix.length)}`;
  }
  return value;
}
