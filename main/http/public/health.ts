import type { FastifyPluginAsync } from 'fastify';
import { PROTOCOL_VERSION } from '../../../protocol/index.ts';
import type { HostServices } from '../services.ts';

/** Liveness for the tunnel and for workers deciding whether to retry. */
export const healthRoutes: FastifyPluginAsync<HostServices> = async (app, { kb }) => {
  app.get('/healthz', async () => ({ ok: true, program: kb.spec.name, protocol: PROTOCOL_VERSION }));
};
