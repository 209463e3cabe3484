import { CliError } from './owner-client.ts';

/** A port flag's value: 0–65535, where 0 lets the OS pick a free one. */
export function port(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new CliError(`${flag} must be a port number (0–65535; 0 picks a free one), got "${value}".`);
  return n;
}
