import { type CacheNamespace, cacheNamespaces } from '@backbone/contracts';

/**
 * Namespaces whose generations the invalidator bumps after a gap. Every
 * namespace in the contracts is named by some cache rule, so the invalidator
 * owns them all. A test checks that the rules name exactly these.
 */
export const ownedNamespaces: readonly CacheNamespace[] = cacheNamespaces;
