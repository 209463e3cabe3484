/**
 * A host in its own process, for tests that must kill it (SIGKILL) mid-flight.
 * Usage: node main/testing/host-process.ts <cohort-home>
 * Prints one JSON line {publicUrl, ownerUrl, ownerToken, kbFile} once it is listening.
 */
import { join } from 'node:path';
import { startHost } from '../host.ts';
import { sampleProgram } from './harness.ts';

const home = process.argv[2];
if (!home) {
  console.error('usage: host-process.ts <cohort-home>');
  process.exit(2);
}
const host = await startHost({
  program: sampleProgram({ pool: 100 }),
  membership: 'open',
  paths: { configDir: join(home, 'config'), dataDir: join(home, 'data') },
  limits: { pendingPerIp: 1000, pendingPerNetwork: 1000, pendingTotal: 1000 },
});
process.stdout.write(`${JSON.stringify({ publicUrl: host.publicUrl, ownerUrl: host.ownerUrl, ownerToken: host.ownerToken, kbFile: host.kbFile })}\n`);
process.on('SIGTERM', () => void host.close().then(() => process.exit(0)));
