import { type ChannelName, ChannelNames, type EventPayload } from './channels';
import { TournamentStatuses } from './domain';

/*
 * Cache-aside entries of the api and the events that make them stale.
 *
 * Every key carries the generation number of its namespace:
 * `cache:<namespace>:<generation>:<id>`. Bumping a namespace's generation
 * makes every entry written under the old number unreachable at once; those
 * entries then expire by their TTL. The cache-invalidator bumps the
 * generations it owns whenever its subscription has had a gap, because
 * Pub/Sub keeps nothing for a subscriber that is away.
 */

export const CacheNamespaces = {
  maps: 'maps',
  tournaments: 'tournaments',
  /** Lists of tournaments, keyed by status or by `all`. */
  tournamentLists: 'tournament-lists',
} as const;

export type CacheNamespace = (typeof CacheNamespaces)[keyof typeof CacheNamespaces];

export const cacheNamespaces = Object.values(CacheNamespaces);

/** Id of the tournament list that contains every tournament whatever its status. */
export const allTournamentsListId = 'all';

/** Redis key of the generation counter of `namespace`. A missing key reads as generation 0. */
export function cacheGenerationKey(namespace: CacheNamespace): string {
  return `cache:${namespace}:generation`;
}

/** Redis key of the entry `id` of `namespace` under `generation`. */
export function cacheEntryKey(namespace: CacheNamespace, generation: number, id: string): string {
  return `cache:${namespace}:${generation}:${id}`;
}

/** One cache entry, named without its generation. */
export interface CacheEntryRef {
  namespace: CacheNamespace;
  id: string;
}

type CacheRules = { [C in ChannelName]: (event: EventPayload<C>) => CacheEntryRef[] };

const tournamentListEntries = (...ids: string[]): CacheEntryRef[] =>
  ids.map((id) => ({ namespace: CacheNamespaces.tournamentLists, id }));

/** Entries that each channel's events make stale. Every channel has a rule, possibly empty. */
export const cacheRules: CacheRules = {
  [ChannelNames.mapCompleted]: (event) => [{ namespace: CacheNamespaces.maps, id: event.mapId }],
  [ChannelNames.mapUpdated]: (event) => [{ namespace: CacheNamespaces.maps, id: event.mapId }],
  [ChannelNames.tournamentCreated]: () => tournamentListEntries(TournamentStatuses.scheduled, allTournamentsListId),
  [ChannelNames.tournamentActivated]: (event) => [
    { namespace: CacheNamespaces.tournaments, id: event.tournamentId },
    ...tournamentListEntries(TournamentStatuses.scheduled, TournamentStatuses.active, allTournamentsListId),
  ],
};

/** Entries that `event` of `channel` makes stale. */
export function staleEntries<C extends ChannelName>(channel: C, event: EventPayload<C>): CacheEntryRef[] {
  return cacheRules[channel](event);
}
