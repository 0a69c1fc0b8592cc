import { channelNames } from '@backbone/contracts';

/**
 * Patterns that cover every channel family of the contracts, such as `map:*`
 * for `map:completed`. The invalidator subscribes to these rather than to the
 * channels. A message on an undeclared channel of a known family (say
 * `map:deleted` from a publisher built on newer contracts) then still
 * arrives, and is logged and counted as malformed instead of passing unseen.
 * Glob characters in a family name are escaped.
 */
export function channelFamilyPatterns(names: readonly string[] = channelNames): string[] {
  const families = names.filter((name) => name.includes(':')).map((name) => name.slice(0, name.indexOf(':')));
  return [...new Set(families)].map((family) => `${family.replace(/[*?[\]\\]/g, '\\$&')}:*`);
}
