import type { OpsEndpoints, OpsResponse } from '@backbone/platform';
import type { Response } from 'express';

import type { RouteTable } from '../http/route-table';

function send(response: Response, result: OpsResponse): void {
  response.status(result.status).type(result.contentType).send(result.body);
}

/** `/healthz`, `/readyz` and `/metrics` on the api's own app; they need no API key. */
export function registerOpsRoutes(routes: RouteTable, endpoints: OpsEndpoints): void {
  routes.add('get', '/healthz', (_request, response) => send(response, endpoints.health()));
  routes.add('get', '/readyz', async (_request, response) => send(response, await endpoints.readiness()));
  routes.add('get', '/metrics', async (_request, response) => send(response, await endpoints.metrics()));
}
