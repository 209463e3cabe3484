import type { TunnelStatus } from '../../protocol/index.ts';
import type { EventBus } from '../events.ts';
import type { DeviceFlow } from '../groupauth/device-flow.ts';
import type { KnowledgeBase } from '../kb/knowledge-base.ts';

/** What the route plugins need from the host; passed as plugin options, never as globals. */
export interface HostServices {
  kb: KnowledgeBase;
  auth: DeviceFlow;
  bus: EventBus;
  /** True when the public listener sits behind the cloudflared tunnel (and so listens on 127.0.0.1 only). */
  tunnelled: boolean;
  /** The URL members use (tunnel URL while it is up, else the LAN URL or loopback URL). */
  publicUrl: () => string;
  /** The tunnel's state now. */
  tunnel: () => TunnelStatus;
  /** The URL members used at the previous start (life/stable-address.ts); null on a first start. */
  previousPublicUrl: () => string | null;
}

/**
 * Owner routes look the host up per request: the app's listener exists before a program is
 * published from its UI (its guard answers 409 until then), a `cohort publish` listener after.
 */
export interface OwnerRouteOptions {
  services: () => HostServices;
}
