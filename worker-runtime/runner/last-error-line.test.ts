import { describe, expect, it } from 'vitest';
import { LastErrorLine } from './last-error-line.ts';
import { classifyRun } from './outcome.ts';

function last(...chunks: string[]): string | null {
  const l = new LastErrorLine();
  for (const c of chunks) l.push(c);
  l.end();
  return l.line;
}

describe('LastErrorLine', () => {
  it('finds the exception line of a Python traceback, across chunk boundaries', () => {
    expect(last(
      'Traceback (most recent call last):\n  File "/w/train.py", line 3, in <module>\n    open(os.path.expanduser("~/.config/x"))\nPermission',
      "Error: [Errno 13] Permission denied: '/home/ada/.config/x'\n",
    )).toBe("PermissionError: [Errno 13] Permission denied: '/home/ada/.config/x'");
  });

  it('takes the last exception of a chained traceback and skips markers, blank lines and progress bars', () => {
    expect(last(
      'ConnectionRefusedError: [Errno 111] Connection refused\n\nDuring handling of the above exception, another exception occurred:\n\n',
      'Traceback (most recent call last):\n  File "x", line 1\n    foo()\n    ^^^^^\nOSError: [Errno 101] Network is unreachable\n',
      ' 45%|████▌     | 45/100 [00:01<00:01]\r\n',
    )).toBe('OSError: [Errno 101] Network is unreachable');
  });

  it('is null when stderr said nothing meaningful, and cuts long lines', () => {
    expect(last('\n   \n  indented only\n')).toBeNull();
    const long = last(`RuntimeError: ${'x'.repeat(1000)}\n`)!;
    expect(long.length).toBe(300);
    expect(long.endsWith('…')).toBe(true);
  });

  it('goes into the crash reason of a non-zero exit only', () => {
    const facts = { metric: 'val_bpb', parsed: { value: null, finite: false, failed: false, metrics: {}, summary: {} }, signal: null, timedOut: false, stopped: false, budgetSeconds: 10, graceSeconds: 1 };
    expect(classifyRun({ ...facts, exitCode: 1, lastErrorLine: 'OSError: [Errno 101] Network is unreachable' }).reason).toBe('exit code 1: OSError: [Errno 101] Network is unreachable');
    expect(classifyRun({ ...facts, exitCode: 1, lastErrorLine: null }).reason).toBe('exit code 1');
    expect(classifyRun({ ...facts, exitCode: 0, lastErrorLine: 'UserWarning: x' }).reason).toBe('no val_bpb line in the output');
  });
});
