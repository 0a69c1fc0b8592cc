import { CacheNamespaces, ChannelNames, staleEntries } from '@backbone/contracts';
import { completeMapSchema, type GameMap } from '@backbone/game-store';
import { NotFoundError } from '@backbone/platform';

import { type ApiContext, loggerOf } from '../context';
import { jsonBody } from '../http/body';
import { setCacheStatus } from '../http/cache-status';
import type { RouteHandler, RouteTable } from '../http/route-table';
import { entityIdParam, parseBody } from './params';

export function registerMapRoutes(routes: RouteTable, context: ApiContext, auth: RouteHandler): void {
  const { maps, publisher, cache } = context;
  const json = jsonBody(context.config.API_JSON_BODY_LIMIT_BYTES);

  routes.add('post', '/v1/maps', auth, ...json, async (request, response) => {
    const map = await maps.create(request.body);

    loggerOf(response).info('Map created', { mapId: map.id });
    response.status(201).location(`/v1/maps/${map.id}`).json(map);
  });

  routes.add('get', '/v1/maps/:id', auth, async (request, response) => {
    const id = entityIdParam(request.params.id, 'map_not_found', 'Map');

    const { value, hit } = await cache.get<GameMap>({ namespace: CacheNamespaces.maps, id }, () => maps.get(id));
    if (value === undefined) {
      throw new NotFoundError('map_not_found', `Map "${id}" does not exist`);
    }
    setCacheStatus(response, hit);
    response.json(value);
  });

  routes.add('post', '/v1/maps/:id/complete', auth, ...json, async (request, response) => {
    const id = entityIdParam(request.params.id, 'map_not_found', 'Map');
    const body = parseBody(completeMapSchema, request.body ?? {}, 'map completion');

    const map = await maps.complete(id, body.result ?? null);

    const event = {
      mapId: map.id,
      tournamentId: map.tournamentId,
      result: map.result,
      timestamp: map.completedAt ?? new Date().toISOString(),
    };
    await publisher.publish(ChannelNames.mapCompleted, event);
    // The cache-invalidator drops this too; doing it here lets the caller read its own write at once.
    await cache.invalidate(staleEntries(ChannelNames.mapCompleted, event));

    loggerOf(response).info('Map completed', { mapId: map.id, tournamentId: map.tournamentId });
    response.json(map);
  });
}
