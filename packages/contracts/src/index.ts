export * from './cache';
export * from './channels';
export * from './domain';
export * from './queue-contract';
export * from './queues';
export * from './schedules';
export * from './schemas';
