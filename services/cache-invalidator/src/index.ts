export * from './cache-invalidator';
export * from './config';
export { ownedNamespaces } from './owned-namespaces';
export { channelFamilyPatterns } from './subscribers/undeclared-channels';
