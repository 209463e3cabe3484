import type { TunnelStatus } from '../protocol/index.ts';
import { terminalSafe } from '../protocol/terminal-text.ts';

function inSeconds(iso: string, now: number): string {
  const s = Math.max(0, (Date.parse(iso) - now) / 1000);
  return `${s < 10 ? s.toFixed(1).replace(/\.0$/, '') : Math.round(s)} s`;
}

/** One line for the tunnel's state, as `cohort status` and `cohort publish` show it. */
export function describeTunnel(t: TunnelStatus, now: number = Date.now()): string {
  // The reason can quote cloudflared's output, which quotes what Cloudflare sent.
  return terminalSafe(tunnelState(t, now));
}

function tunnelState(t: TunnelStatus, now: number): string {
  switch (t.state) {
    case 'off':
      return `off${t.reason ? ` (${t.reason})` : ''}`;
    case 'not-found':
      return `not found: cloudflared is not installed, so members outside this machine cannot reach it. ${t.hint ?? ''}`.trimEnd();
    case 'starting':
      return `starting cloudflared${t.attempt !== undefined && t.attempt > 1 ? ` (attempt ${t.attempt})` : ''}…`;
    case 'up':
      return `up: ${t.url}`;
    case 'down':
      return `down: ${t.reason ?? 'cloudflared stopped'}${t.retry_at ? `; starting it again in ${inSeconds(t.retry_at, now)}` : ''}`;
  }
}

/** What `cohort publish` prints when the tunnel changes state. */
export function describeTunnelEvent(t: TunnelStatus, now: number = Date.now()): string {
  if (t.state === 'up') {
    const url = terminalSafe(String(t.url));
    return `Tunnel up: ${url}\n  Workers join with: cohort join ${url}`;
  }
  return `tunnel ${describeTunnel(t, now)}`;
}
