export * from './keys';
export * from './map-store';
export * from './media-store';
export * from './tournament-store';
