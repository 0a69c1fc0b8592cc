import {
  channelNames,
  channels,
  type ImageVariantName,
  imageVariantNames,
  queueNames,
  queues,
  tournamentStatuses,
} from '@backbone/contracts';
import { completeMapSchema, createMapSchema, createTournamentSchema } from '@backbone/game-store';
import { z } from 'zod';

import { imageContentTypes } from './http/body';
import { MAX_BATCH_JOBS } from './routes/jobs';

type Operation = Record<string, unknown>;

const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

const jsonResponse = (description: string, schema: object = { type: 'object' }) => ({
  description,
  content: { 'application/json': { schema } },
});

const jsonRequest = (schema: object, required = true) => ({
  required,
  content: { 'application/json': { schema } },
});

const pathParameter = (name: string, description: string, schema: object = { type: 'string' }) => ({
  name,
  in: 'path',
  required: true,
  description,
  schema,
});

/** Responses every authenticated `/v1` operation can return. */
const commonErrors = {
  '401': problemResponse('No API key sent (`api_key_missing`).'),
  '403': problemResponse('The API key is not accepted (`api_key_invalid`).'),
  '503': problemResponse('Redis is unreachable (`service_unavailable`); see `Retry-After`.'),
};

const bodyErrors = {
  '400': problemResponse('Invalid JSON (`invalid_json`) or fields (`validation_failed`), each listed in `errors`.'),
  '413': problemResponse('The body exceeds the size limit (`payload_too_large`).'),
  '415': problemResponse('The body is not `application/json` (`unsupported_media_type`).'),
};

function operation(summary: string, responses: Record<string, unknown>, extra: Operation = {}): Operation {
  return { summary, security: [{ apiKey: [] }], ...extra, responses: { ...responses, ...commonErrors } };
}

function jobRequestSchema(): object {
  const variants = queueNames.flatMap((queue) =>
    Object.entries(queues[queue].jobs).map(([name, schema]) => ({
      title: `${queue} / ${name}`,
      type: 'object',
      required: ['name', 'data'],
      properties: {
        name: { const: name },
        data: z.toJSONSchema(schema as z.ZodType, { io: 'input', unrepresentable: 'any' }),
        delayMs: { type: 'integer', minimum: 0 },
        priority: { type: 'integer', minimum: 0 },
      },
      additionalProperties: false,
    })),
  );
  return { oneOf: variants };
}

/**
 * Builds the OpenAPI 3.1 document of the api. Request bodies come from the
 * same zod schemas that validate them. A test checks that its paths and
 * methods are exactly the routes the app registers.
 */
export function buildOpenApiDocument(): Record<string, unknown> {
  const queueParameter = pathParameter('queue', 'Queue name.', { enum: queueNames });
  const jobIdParameter = pathParameter('id', 'Job id.');
  const mapIdParameter = pathParameter('id', 'Map id.');
  const jobAccepted = jsonResponse('The job was added.', { $ref: '#/components/schemas/AcceptedJob' });
  const idempotencyHeader = {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description:
      'Repeating a request with the same key returns the first job, marked with `Idempotent-Replayed: true`, for as long as API_IDEMPOTENCY_TTL_SECONDS says. A different request under a used key is 409 `idempotency_key_reused`.',
    schema: { type: 'string', minLength: 1, maxLength: 255 },
  };

  const paths: Record<string, Record<string, Operation>> = {
    '/v1/queues': {
      get: operation('List queues with job counts per state; `waiting` includes prioritized jobs.', {
        '200': jsonResponse('Queues and counts.'),
      }),
    },
    '/v1/queues/{queue}/jobs': {
      post: operation(
        'Add a job.',
        {
          '202': jobAccepted,
          ...bodyErrors,
          '404': problemResponse('Unknown queue (`queue_not_found`).'),
          '409': problemResponse('Idempotency-Key reused (`idempotency_key_reused`).'),
        },
        { parameters: [queueParameter, idempotencyHeader], requestBody: jsonRequest(jobRequestSchema()) },
      ),
    },
    '/v1/queues/{queue}/jobs/batch': {
      post: operation(
        `Add up to ${MAX_BATCH_JOBS} jobs in one round trip; one invalid job rejects the whole batch.`,
        {
          '202': jsonResponse('Every job was added.'),
          ...bodyErrors,
          '404': problemResponse('Unknown queue (`queue_not_found`).'),
          '409': problemResponse('Idempotency-Key reused (`idempotency_key_reused`).'),
        },
        {
          parameters: [queueParameter, idempotencyHeader],
          requestBody: jsonRequest({
            type: 'object',
            required: ['jobs'],
            properties: { jobs: { type: 'array', minItems: 1, maxItems: MAX_BATCH_JOBS, items: jobRequestSchema() } },
          }),
        },
      ),
    },
    '/v1/queues/{queue}/jobs/{id}': {
      get: operation(
        'Read a job: state, progress, attempts, result or failure reason.',
        {
          '200': jsonResponse('The job.'),
          '404': problemResponse('Unknown queue or job (`queue_not_found`, `job_not_found`).'),
        },
        { parameters: [queueParameter, jobIdParameter] },
      ),
    },
    '/v1/queues/{queue}/jobs/{id}/retry': {
      post: operation(
        'Retry a failed job.',
        {
          '202': jobAccepted,
          '404': problemResponse('Unknown queue or job.'),
          '409': problemResponse('The job is not failed (`job_not_failed`).'),
        },
        { parameters: [queueParameter, jobIdParameter] },
      ),
    },
    '/v1/events/{channel}': {
      post: operation(
        'Validate and publish an event; returns the number of receivers.',
        {
          '202': jsonResponse('Published.'),
          ...bodyErrors,
          '404': problemResponse('Unknown channel (`channel_not_found`).'),
        },
        {
          parameters: [pathParameter('channel', 'Channel name.', { enum: channelNames })],
          requestBody: jsonRequest({
            oneOf: channelNames.map((name) => ({
              title: name,
              ...z.toJSONSchema(channels[name].schema as z.ZodType, { io: 'input', unrepresentable: 'any' }),
            })),
          }),
        },
      ),
    },
    '/v1/schedules': {
      get: operation('List declared schedules with their next run (null until the scheduler registered them).', {
        '200': jsonResponse('Schedules.'),
      }),
    },
    '/v1/schedules/{id}/run': {
      post: operation(
        'Add one run of a schedule now.',
        { '202': jobAccepted, '404': problemResponse('Unknown schedule (`schedule_not_found`).') },
        { parameters: [pathParameter('id', 'Schedule id.')] },
      ),
    },
    '/v1/tournaments': {
      post: operation(
        'Create a tournament in the `scheduled` state; publishes `tournament:created`.',
        { '201': jsonResponse('The tournament.'), ...bodyErrors },
        { requestBody: jsonRequest(z.toJSONSchema(createTournamentSchema, { io: 'input' })) },
      ),
      get: operation(
        'List tournaments, earliest start first.',
        {
          '200': jsonResponse('Tournaments; `Cache-Status` is `hit` when read from the cache.'),
          '400': problemResponse('Unknown status (`validation_failed`).'),
        },
        { parameters: [{ name: 'status', in: 'query', required: false, schema: { enum: tournamentStatuses } }] },
      ),
    },
    '/v1/tournaments/{id}': {
      get: operation(
        'Read a tournament.',
        {
          '200': jsonResponse('The tournament; `Cache-Status` is `hit` when read from the cache.'),
          '404': problemResponse('Unknown tournament (`tournament_not_found`).'),
        },
        { parameters: [pathParameter('id', 'Tournament id.')] },
      ),
    },
    '/v1/maps': {
      post: operation(
        'Create a map in the `pending` state.',
        { '201': jsonResponse('The map.'), ...bodyErrors },
        { requestBody: jsonRequest(z.toJSONSchema(createMapSchema, { io: 'input' })) },
      ),
    },
    '/v1/maps/{id}': {
      get: operation(
        'Read a map with its status.',
        {
          '200': jsonResponse('The map; `Cache-Status` is `hit` when read from the cache.'),
          '404': problemResponse('Unknown map (`map_not_found`).'),
        },
        { parameters: [mapIdParameter] },
      ),
    },
    '/v1/maps/{id}/complete': {
      post: operation(
        'Mark a map completed with an optional result; publishes `map:completed`.',
        {
          '200': jsonResponse('The completed map.'),
          ...bodyErrors,
          '404': problemResponse('Unknown map (`map_not_found`).'),
          '409': problemResponse('Already completed (`map_already_completed`).'),
        },
        {
          parameters: [mapIdParameter],
          requestBody: jsonRequest(z.toJSONSchema(completeMapSchema, { io: 'input' }), false),
        },
      ),
    },
    '/v1/maps/{id}/image': {
      put: operation(
        'Upload a map image; it is stored and queued for processing into variants.',
        {
          '202': jsonResponse('Stored and queued.'),
          '400': problemResponse('Empty body (`image_missing`) or not the declared format (`invalid_image`).'),
          '404': problemResponse('Unknown map (`map_not_found`).'),
          '413': problemResponse('The image exceeds API_IMAGE_BODY_LIMIT_BYTES (`payload_too_large`).'),
          '415': problemResponse('Not an accepted image type (`unsupported_media_type`).'),
        },
        {
          parameters: [mapIdParameter],
          requestBody: {
            required: true,
            content: Object.fromEntries(
              Object.keys(imageContentTypes).map((type) => [
                type,
                { schema: { type: 'string', contentMediaType: type } },
              ]),
            ),
          },
        },
      ),
    },
    '/v1/maps/{id}/image/{variant}': {
      get: operation(
        'Read a processed image variant.',
        {
          '200': { description: 'The image, with its content type.', content: { 'image/webp': {}, 'image/*': {} } },
          '404': problemResponse('Unknown map or variant, or not processed yet (`image_not_ready`).'),
        },
        {
          parameters: [
            mapIdParameter,
            pathParameter('variant', 'Variant name.', { enum: imageVariantNames satisfies ImageVariantName[] }),
          ],
        },
      ),
    },
    '/healthz': { get: { summary: 'Liveness.', responses: { '200': jsonResponse('Alive.') } } },
    '/readyz': {
      get: {
        summary: 'Readiness; 503 while Redis is down.',
        responses: { '200': jsonResponse('Ready.'), '503': jsonResponse('Not ready.') },
      },
    },
    '/metrics': {
      get: {
        summary: 'Prometheus metrics.',
        responses: { '200': { description: 'Metrics.', content: { 'text/plain': { schema: { type: 'string' } } } } },
      },
    },
    '/openapi.json': {
      get: { summary: 'This document.', responses: { '200': jsonResponse('OpenAPI 3.1 document.') } },
    },
  };

  return {
    openapi: '3.1.0',
    info: {
      title: 'Game backbone api',
      version: '1.0.0',
      description:
        'Enqueues BullMQ jobs, publishes events and serves tournaments and maps. Errors are application/problem+json (RFC 9457) with a stable `code`.',
    },
    paths,
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'One of the keys in API_KEYS.' } },
      schemas: {
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status', 'detail', 'code'],
          properties: {
            type: { type: 'string', format: 'uri' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            code: { type: 'string' },
            instance: { type: 'string' },
            errors: {
              type: 'array',
              items: {
                type: 'object',
                properties: { pointer: { type: 'string' }, path: { type: 'string' }, detail: { type: 'string' } },
              },
            },
          },
        },
        AcceptedJob: {
          type: 'object',
          required: ['id', 'queue', 'name', 'state', 'statusUrl'],
          properties: {
            id: { type: 'string' },
            queue: { type: 'string' },
            name: { type: 'string' },
            state: { type: 'string' },
            statusUrl: { type: 'string' },
          },
        },
      },
    },
  };
}
