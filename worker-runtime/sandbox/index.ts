// The sandbox of experiment runs: bubblewrap on Linux (see docs/worker.md, "Sandbox").
export { detectSandbox, findBwrap, namespaceFlags } from './detect.ts';
export type { BwrapFeatures, DetectOptions, SandboxSupport } from './detect.ts';
export { bwrapArgv } from './argv.ts';
export type { RunMounts, SandboxPlan } from './argv.ts';
export { sandboxPlan } from './plan.ts';
export type { PlanInput } from './plan.ts';
export { exposedForPath } from './exposure.ts';
export { gpuDeviceNodes } from './devices.ts';
export { cacheEnv, sandboxEnv } from './env.ts';
export { INSTALL_COMMAND, SandboxUnavailableError, unavailableMessage } from './unavailable.ts';
export { openSandbox } from './session.ts';
export type { SandboxConfig, SandboxInfo, SandboxSession } from './session.ts';
