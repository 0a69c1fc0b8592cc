import {
  allTournamentsListId,
  CacheNamespaces,
  ChannelNames,
  staleEntries,
  type TournamentStatus,
  tournamentStatuses,
} from '@backbone/contracts';
import type { Tournament } from '@backbone/game-store';
import { NotFoundError } from '@backbone/platform';
import { z } from 'zod';

import { type ApiContext, loggerOf } from '../context';
import { jsonBody } from '../http/body';
import { setCacheStatus } from '../http/cache-status';
import type { RouteHandler, RouteTable } from '../http/route-table';
import { entityIdParam, parseQuery } from './params';

const listQuerySchema = z.object({
  status: z.enum(tournamentStatuses as [TournamentStatus, ...TournamentStatus[]]).optional(),
});

export function registerTournamentRoutes(routes: RouteTable, context: ApiContext, auth: RouteHandler): void {
  const { tournaments, publisher, cache } = context;
  const json = jsonBody(context.config.API_JSON_BODY_LIMIT_BYTES);

  routes.add('post', '/v1/tournaments', auth, ...json, async (request, response) => {
    const tournament = await tournaments.create(request.body);

    const event = { tournamentId: tournament.id, startsAt: tournament.startsAt, timestamp: tournament.createdAt };
    await publisher.publish(ChannelNames.tournamentCreated, event);
    // The cache-invalidator drops these too; doing it here lets the creator read its own write at once.
    await cache.invalidate(staleEntries(ChannelNames.tournamentCreated, event));

    loggerOf(response).info('Tournament created', { tournamentId: tournament.id });
    response.status(201).location(`/v1/tournaments/${tournament.id}`).json(tournament);
  });

  routes.add('get', '/v1/tournaments', auth, async (request, response) => {
    const { status } = parseQuery(listQuerySchema, request.query);
    const listId = status ?? allTournamentsListId;

    const { value, hit } = await cache.get<Tournament[]>(
      { namespace: CacheNamespaces.tournamentLists, id: listId },
      () => tournaments.list(status),
    );
    setCacheStatus(response, hit);
    response.json({ tournaments: value ?? [] });
  });

  routes.add('get', '/v1/tournaments/:id', auth, async (request, response) => {
    const id = entityIdParam(request.params.id, 'tournament_not_found', 'Tournament');

    const { value, hit } = await cache.get<Tournament>({ namespace: CacheNamespaces.tournaments, id }, () =>
      tournaments.get(id),
    );
    if (value === undefined) {
      throw new NotFoundError('tournament_not_found', `Tournament "${id}" does not exist`);
    }
    setCacheStatus(response, hit);
    response.json(value);
  });
}
