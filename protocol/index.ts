export * from './errors.ts';
export * from './task.ts';
export * from './oauth.ts';
export * from './results.ts';
export * from './api.ts';
export * from './events.ts';
export * from './app.ts';
export * from './worker-api.ts';
