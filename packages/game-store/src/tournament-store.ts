import { randomUUID } from 'node:crypto';

import { isoTimestampSchema, type TournamentStatus, TournamentStatuses, tournamentStatuses } from '@backbone/contracts';
import { toValidationIssues, ValidationError } from '@backbone/platform';
import type { Redis } from 'ioredis';
import { z } from 'zod';

import { allTournamentsKey, tournamentKey, tournamentsByStatusKey } from './keys';

export interface Tournament {
  id: string;
  name: string;
  startsAt: string;
  status: TournamentStatus;
  createdAt: string;
  /** When the tournament moved from scheduled to active; null before. */
  activatedAt: string | null;
}

export const createTournamentSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  startsAt: isoTimestampSchema,
});

export type CreateTournamentInput = z.input<typeof createTournamentSchema>;

/** Largest page `list()` returns. */
export const MAX_TOURNAMENT_PAGE = 500;

/**
 * Moves due tournaments from scheduled to active in one atomic step, so two
 * overlapping runs can never activate the same tournament twice: the second
 * run no longer finds it in the scheduled set.
 *
 * KEYS[1] scheduled set, KEYS[2] active set; ARGV[1] now in epoch ms,
 * ARGV[2] activation time (ISO 8601), ARGV[3] max tournaments, ARGV[4] key
 * prefix of a tournament hash. Returns the moved ids.
 *
 * NOTE: the tournament hashes are reached through ARGV rather than KEYS. On
 * Redis Cluster this works only because every key shares the `{game}` hash
 * tag and so lives on one node.
 */
const ACTIVATE_DUE_SCRIPT = `
local ids = redis.call('ZRANGE', KEYS[1], '-inf', ARGV[1], 'BYSCORE', 'LIMIT', 0, tonumber(ARGV[3]))
local moved = {}
for _, id in ipairs(ids) do
  local key = ARGV[4] .. id
  local score = redis.call('ZSCORE', KEYS[1], id)
  redis.call('ZREM', KEYS[1], id)
  if redis.call('HGET', key, 'status') == 'scheduled' then
    redis.call('HSET', key, 'status', 'active', 'activatedAt', ARGV[2])
    redis.call('ZADD', KEYS[2], score, id)
    table.insert(moved, id)
  end
end
return moved
`;

/** Tournaments kept as one Redis hash each, indexed by status and start time. */
export class TournamentStore {
  constructor(private readonly redis: Redis) {}

  /** Creates a tournament in the scheduled state. Throws `ValidationError` and writes nothing on bad input. */
  async create(input: unknown): Promise<Tournament> {
    const parsed = createTournamentSchema.safeParse(input);
    if (!parsed.success) {
      throw new ValidationError('Invalid tournament', toValidationIssues(parsed.error.issues));
    }

    const tournament: Tournament = {
      id: randomUUID(),
      name: parsed.data.name,
      startsAt: new Date(parsed.data.startsAt).toISOString(),
      status: TournamentStatuses.scheduled,
      createdAt: new Date().toISOString(),
      activatedAt: null,
    };
    const score = Date.parse(tournament.startsAt);

    await this.redis
      .multi()
      .hset(tournamentKey(tournament.id), toHash(tournament))
      .zadd(tournamentsByStatusKey(tournament.status), score, tournament.id)
      .zadd(allTournamentsKey, score, tournament.id)
      .exec();
    return tournament;
  }

  async get(id: string): Promise<Tournament | undefined> {
    const hash = await this.redis.hgetall(tournamentKey(id));
    return fromHash(hash);
  }

  /** Tournaments in `status` (or all), earliest start first, at most `limit`. */
  async list(status?: TournamentStatus, limit = 100): Promise<Tournament[]> {
    const key = status === undefined ? allTournamentsKey : tournamentsByStatusKey(status);
    const ids = await this.redis.zrange(key, 0, Math.min(limit, MAX_TOURNAMENT_PAGE) - 1);
    if (ids.length === 0) {
      return [];
    }

    const pipeline = this.redis.pipeline();
    for (const id of ids) {
      pipeline.hgetall(tournamentKey(id));
    }
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([, hash]) => fromHash(hash as Record<string, string>)).filter((t) => t !== undefined);
  }

  /**
   * Activates every scheduled tournament whose start time is at or before
   * `now`, at most `limit` per call, and returns the ones this call moved.
   */
  async activateDue(now: Date = new Date(), limit = 1_000): Promise<Tournament[]> {
    const moved = (await this.redis.eval(
      ACTIVATE_DUE_SCRIPT,
      2,
      tournamentsByStatusKey(TournamentStatuses.scheduled),
      tournamentsByStatusKey(TournamentStatuses.active),
      String(now.getTime()),
      now.toISOString(),
      String(limit),
      tournamentKey(''),
    )) as string[];

    const tournaments = await Promise.all(moved.map((id) => this.get(id)));
    return tournaments.filter((t) => t !== undefined);
  }
}

function toHash(tournament: Tournament): Record<string, string> {
  return {
    id: tournament.id,
    name: tournament.name,
    startsAt: tournament.startsAt,
    status: tournament.status,
    createdAt: tournament.createdAt,
    activatedAt: tournament.activatedAt ?? '',
  };
}

function fromHash(hash: Record<string, string>): Tournament | undefined {
  if (hash.id === undefined) {
    return undefined;
  }
  return {
    id: hash.id,
    name: hash.name ?? '',
    startsAt: hash.startsAt ?? '',
    status: (tournamentStatuses as string[]).includes(hash.status ?? '')
      ? (hash.status as TournamentStatus)
      : TournamentStatuses.scheduled,
    createdAt: hash.createdAt ?? '',
    activatedAt: hash.activatedAt === undefined || hash.activatedAt === '' ? null : hash.activatedAt,
  };
}
