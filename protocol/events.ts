import { z } from 'zod';
import { Champion, JoinRequest, Member } from './api.ts';
import { ResultRecord } from './results.ts';
import { TunnelStatus } from './tunnel.ts';

/** KB and host events, sent to the owner over SSE (`event:` is the type, `data:` the JSON below). */
export const KbEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('join-request'), request: JoinRequest }),
  z.object({ type: z.literal('member-approved'), request: JoinRequest }),
  z.object({ type: z.literal('member-denied'), request: JoinRequest }),
  z.object({ type: z.literal('member-joined'), member: Member }),
  z.object({ type: z.literal('member-revoked'), member: Member }),
  z.object({ type: z.literal('result'), result: ResultRecord }),
  z.object({ type: z.literal('champion'), champion: Champion }),
  /** A re-run decided a claim, or changed a verdict with it (docs/design.md, "Verified champions"): the result as it now stands. */
  z.object({ type: z.literal('verdict'), result: ResultRecord }),
  /** The tunnel changed state (starting, up with its URL, down with a reason, …). */
  z.object({ type: z.literal('tunnel'), tunnel: TunnelStatus }),
]);
export type KbEvent = z.infer<typeof KbEvent>;
export type KbEventType = KbEvent['type'];
