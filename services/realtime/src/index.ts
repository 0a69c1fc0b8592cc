export * from './config';
export * from './protocol';
export { type RealtimeConfig, type RealtimeDeps, type RealtimeHandle, startRealtime } from './realtime';
export * from './topics';
