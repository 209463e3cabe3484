import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The GPU device nodes a run needs, where present: NVIDIA (`/dev/nvidia0…`, `nvidiactl`,
 * `nvidia-uvm`, `nvidia-uvm-tools`, `nvidia-modeset`, `nvidia-caps/`), DRM render nodes
 * (`/dev/dri/`, also Intel and AMD) and AMD's ROCm compute node (`/dev/kfd`). They are passed into the
 * sandbox's otherwise minimal /dev with `--dev-bind`.
 */
export function gpuDeviceNodes(dev = '/dev'): string[] {
  let names: string[];
  try {
    names = readdirSync(dev);
  } catch {
    return [];
  }
  const nodes = names.filter((n) => n.startsWith('nvidia')).sort().map((n) => join(dev, n));
  for (const n of ['dri', 'kfd']) if (existsSync(join(dev, n))) nodes.push(join(dev, n));
  return nodes;
}
