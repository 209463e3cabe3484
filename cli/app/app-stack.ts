import { startAppService, type AppServiceOptions, type RunningAppService } from '../../main/app-service.ts';
import { workerRoutes } from '../../worker-runtime/service/worker-routes.ts';
import { WorkerService, type WorkerServiceOptions } from '../../worker-runtime/service/worker-service.ts';

export interface AppStack {
  app: RunningAppService;
  worker: WorkerService;
  close(): Promise<void>;
}

/**
 * The app's loopback listener with the worker's routes mounted: both views of the UI on one origin,
 * behind one token. `cohort app` uses it; the Electron shell composes the same two parts.
 */
export async function startAppStack(opts: Omit<AppServiceOptions, 'workerRoutes'> & { worker: Omit<WorkerServiceOptions, 'paths'> }): Promise<AppStack> {
  const worker = await WorkerService.create({ ...opts.worker, paths: opts.paths });
  const app = await startAppService({ ...opts, workerRoutes: async (scope) => {
      await scope.register(workerRoutes, { service: worker });
    },
  });
  return {
    app,
    worker,
    async close() {
      await worker.close();
      await app.close();
    },
  };
}
