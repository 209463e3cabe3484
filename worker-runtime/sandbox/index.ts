// The sandbox of experiment runs: bubblewrap on Linux (see docs/worker.md, "Sandbox").
export { detectLifetime, detectSandbox, findBwrap, lifetimeFlags, namespaceFlags } from './detect.ts';
export type { BwrapFeatures, DetectOptions, LifetimeSupport, SandboxSupport } from './detect.ts';
export { bwrapArgv, pinnedFolders } from './argv.ts';
export type { RunMounts, SandboxPlan } from './argv.ts';
export { sandboxPlan } from './plan.ts';
export type { PlanInput } from './plan.ts';
export { exposedForPath } from './exposure.ts';
export { gpuDeviceNodes } from './devices.ts';
export { homeEnv, sandboxEnv, secretValue } from './env.ts';
export { processGroupWarning, rootWarning } from './notices.ts';
export { INSTALL_COMMAND, SandboxUnavailableError, unavailableMessage } from './unavailable.ts';
export { openSandbox } from './session.ts';
export type { SandboxConfig, SandboxInfo, SandboxSession } from './session.ts';
