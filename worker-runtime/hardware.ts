import { execFile } from 'node:child_process';
import { cpus, hostname, release, totalmem, type as osType } from 'node:os';

export interface Hardware {
  hostname: string;
  os: string;
  cpu: string;
  cpu_count: number;
  memory_gb: number;
  gpu: string;
  gpu_count: number;
  gpu_memory_mb: number;
  [key: string]: string | number;
}

/** `nvidia-smi` when present: name and memory of each GPU; nothing when absent or failing. */
function queryNvidia(): Promise<{ name: string; memoryMb: number }[]> {
  return new Promise((resolve) => {
    execFile('nvidia-smi', ['--query-gpu=name,memory.total', '--format=csv,noheader,nounits'], { timeout: 5_000 }, (err, stdout) => {
      if (err) return resolve([]);
      resolve(
        stdout
          .split('\n')
          .map((l) => l.split(',').map((s) => s.trim()))
          .filter((p) => p[0])
          .map(([name, mem]) => ({ name: name!, memoryMb: Number(mem) || 0 })),
      );
    });
  });
}

/** What a result carries about the machine it ran on, and what a join request shows the owner. */
export async function detectHardware(): Promise<Hardware> {
  const gpus = await queryNvidia();
  const cpuList = cpus();
  return {
    hostname: hostname(),
    os: `${osType()} ${release()}`,
    cpu: cpuList[0]?.model.trim() ?? 'unknown',
    cpu_count: cpuList.length,
    memory_gb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    gpu: gpus.length === 0 ? '' : gpus.length === 1 ? gpus[0]!.name : `${gpus.length}× ${gpus[0]!.name}`,
    gpu_count: gpus.length,
    gpu_memory_mb: gpus.reduce((s, g) => s + g.memoryMb, 0),
  };
}
