import { spawn } from 'node:child_process';

/** What a hardware tool said, or why it said nothing usable. */
export type ToolOutput = { ok: true; stdout: string; truncated: boolean } | { ok: false; output: string };

export interface RunToolOptions {
  timeoutMs: number;
  /** Bytes of stdout kept; a tool that prints more is cut off there (`truncated`). */
  maxBytes: number;
}

/**
 * Runs a hardware tool such as `nvidia-smi` and collects what it prints, never more than `maxBytes`
 * and never longer than `timeoutMs`. The tool is in its own process group and the whole group is
 * killed on timeout or overflow: a wrapper script's children would otherwise keep the pipes open,
 * and a wedged driver (nvidia-smi hangs when a GPU is lost) would hold the worker's start forever.
 * Never rejects: a tool that is missing, crashes or misbehaves is an answer like any other.
 */
export function runTool(binary: string, args: readonly string[], opts: RunToolOptions): Promise<ToolOutput> {
  return new Promise((resolve) => {
    let settled = false;
    const chunks: Buffer[] = [];
    let bytes = 0;
    let truncated = false;
    let errText = '';
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(binary, [...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true, windowsHide: true });
    } catch (err) {
      resolve({ ok: false, output: (err as Error).message });
      return;
    }
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL'); // no group (already gone, or not on this platform)
      }
    };
    const finish = (result: ToolOutput) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const timer = setTimeout(() => {
      killGroup();
      finish({ ok: false, output: `timed out after ${opts.timeoutMs} ms` });
    }, opts.timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      if (truncated) return;
      const room = opts.maxBytes - bytes;
      if (d.length > room) {
        chunks.push(d.subarray(0, room));
        bytes = opts.maxBytes;
        truncated = true;
        killGroup();
        finish({ ok: true, stdout: Buffer.concat(chunks).toString('utf8'), truncated: true });
        return;
      }
      chunks.push(d);
      bytes += d.length;
    });
    // Only for the error message (the old driver's "not a valid field"): a little is enough.
    child.stderr!.on('data', (d: Buffer) => {
      if (errText.length < 4096) errText += d.toString('utf8').slice(0, 4096 - errText.length);
    });
    child.on('error', (err) => finish({ ok: false, output: err.message }));
    child.on('close', (code) => {
      const stdout = Buffer.concat(chunks).toString('utf8');
      if (code === 0) finish({ ok: true, stdout, truncated });
      else finish({ ok: false, output: `${errText}\n${stdout.slice(0, 4096)}`.trim() || `exit code ${code}` });
    });
  });
}
