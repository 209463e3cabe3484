import { z } from 'zod';

/**
 * The cloudflared quick tunnel, as the owner sees it:
 * - `off`: no tunnel (`--no-tunnel`, a LAN listener, or the host was started without one);
 * - `not-found`: no cloudflared binary; `hint` says how to install one;
 * - `starting`: cloudflared runs and has not printed its URL yet;
 * - `up`: members reach the host at `url`;
 * - `down`: cloudflared exited or never printed a URL; `reason` says why, `retry_at` when the next
 *   start is due (absent when the host gave up and serves locally only).
 */
export const TunnelState = z.enum(['off', 'not-found', 'starting', 'up', 'down']);
export type TunnelState = z.infer<typeof TunnelState>;

export const TunnelStatus = z.object({
  state: TunnelState,
  /** `up` only: `https://<name>.trycloudflare.com`. */
  url: z.string().optional(),
  /** `down`, `off` and `not-found`: one line saying why. */
  reason: z.string().optional(),
  /** The cloudflared executable in use, when one was found. */
  binary: z.string().optional(),
  /** `not-found`: how to install cloudflared on this platform. */
  hint: z.string().optional(),
  /** `starting`, `up` and `down`: which start this is (1 for the first; resets once a tunnel stayed up). */
  attempt: z.number().int().min(1).optional(),
  /** `down`: when cloudflared is started again (ISO 8601); absent when the host gave up. */
  retry_at: z.string().optional(),
});
export type TunnelStatus = z.infer<typeof TunnelStatus>;
