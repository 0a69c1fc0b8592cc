/*
 * Redis keys of the game data. Every key carries the `{game}` hash tag, so
 * the multi-key scripts below also run on Redis Cluster, where all of them
 * land in one slot.
 */

export const tournamentKey = (id: string): string => `{game}:tournament:${id}`;

/** Sorted set of tournament ids in `status`, scored by start time in epoch milliseconds. */
export const tournamentsByStatusKey = (status: string): string => `{game}:tournaments:${status}`;

/** Sorted set of every tournament id, scored by start time in epoch milliseconds. */
export const allTournamentsKey = '{game}:tournaments:all';

export const mapKey = (id: string): string => `{game}:map:${id}`;
