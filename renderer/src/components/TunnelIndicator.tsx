import type { TunnelStatus } from '../../../protocol/index.ts';
import { countdown } from '../format.ts';
import { useNow } from '../hooks.ts';
import { RichText } from './RichText.tsx';

const LABEL: Record<TunnelStatus['state'], string> = {
  off: 'tunnel off',
  'not-found': 'no cloudflared',
  starting: 'tunnel starting…',
  up: 'tunnel up',
  down: 'tunnel down',
};

/** Whether members outside this machine can reach the program, and what to do when they cannot. */
export function TunnelIndicator({ tunnel }: { tunnel: TunnelStatus }) {
  const now = useNow();
  let detail: string;
  switch (tunnel.state) {
    case 'up':
      detail = 'Members anywhere reach this program through the cloudflared quick tunnel at the public URL below.';
      break;
    case 'starting':
      detail = `Starting cloudflared${tunnel.attempt !== undefined && tunnel.attempt > 1 ? ` (attempt ${tunnel.attempt})` : ''}; the public URL follows once it is up.`;
      break;
    case 'down':
      detail = `${tunnel.reason ?? 'cloudflared stopped'}. ${
        tunnel.retry_at ? `Starting it again in ${countdown(Date.parse(tunnel.retry_at) - now)}.` : 'Gave up: only this machine (or your LAN) can reach the program. Restart publishing to try again.'
      }`;
      break;
    case 'not-found':
      detail = `cloudflared is not installed, so only this machine (or your LAN with \`--host 0.0.0.0\`) can reach the program. ${tunnel.hint ?? ''}`;
      break;
    case 'off':
      detail = `No tunnel${tunnel.reason ? ` (${tunnel.reason})` : ''}: members reach the program at the URL below.`;
      break;
  }
  return (
    <p className={`tunnel tunnel-${tunnel.state}`} data-testid="tunnel" data-state={tunnel.state} role="status">
      <span className="tunnel-label">{LABEL[tunnel.state]}</span> <RichText text={detail} />
    </p>
  );
}
