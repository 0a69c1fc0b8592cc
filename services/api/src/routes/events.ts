import type { ApiContext } from '../context';
import { loggerOf } from '../context';
import { jsonBody } from '../http/body';
import type { RouteHandler, RouteTable } from '../http/route-table';

export function registerEventRoutes(routes: RouteTable, context: ApiContext, auth: RouteHandler): void {
  const json = jsonBody(context.config.API_JSON_BODY_LIMIT_BYTES);

  routes.add('post', '/v1/events/:channel', auth, ...json, async (request, response) => {
    const channel = String(request.params.channel);
    const receivers = await context.publisher.publishUnchecked(channel, request.body);

    loggerOf(response).info('Event published', { channel, receivers });
    response.status(202).json({ channel, receivers });
  });
}
