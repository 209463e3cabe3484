export * from './errors.ts';
export * from './task.ts';
export * from './oauth.ts';
export * from './results.ts';
export * from './api.ts';
export * from './tunnel.ts';
export * from './events.ts';
