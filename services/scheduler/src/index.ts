export * from './config';
export * from './reconciler';
export * from './scheduler';
export * from './schedules/cron';
export * from './schedules/desired-schedules';
export * from './schedules/pending-runs';
