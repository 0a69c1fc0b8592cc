import { randomUUID } from 'node:crypto';

import { type ImageVariantName, imageVariantNames, JobNames, QueueNames } from '@backbone/contracts';
import { MediaNotFoundError } from '@backbone/game-store';
import { NotFoundError } from '@backbone/platform';

import { type ApiContext, loggerOf, requestIdOf } from '../context';
import { type ImageContentType, imageBody, imageContentTypes } from '../http/body';
import { HttpError } from '../http/problem';
import type { RouteHandler, RouteTable } from '../http/route-table';
import { statusUrl } from './jobs';
import { entityIdParam } from './params';

/** Leading bytes of each accepted format, so a body that is not the declared image is rejected before it is stored. */
function matchesSignature(type: ImageContentType, body: Buffer): boolean {
  switch (type) {
    case 'image/jpeg':
      return body.length >= 3 && body[0] === 0xff && body[1] === 0xd8 && body[2] === 0xff;
    case 'image/png':
      return body.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    case 'image/gif': {
      const header = body.subarray(0, 6).toString('latin1');
      return header === 'GIF87a' || header === 'GIF89a';
    }
    case 'image/webp':
      return body.subarray(0, 4).toString('latin1') === 'RIFF' && body.subarray(8, 12).toString('latin1') === 'WEBP';
  }
}

function isVariantName(value: string): value is ImageVariantName {
  return (imageVariantNames as string[]).includes(value);
}

export function registerImageRoutes(routes: RouteTable, context: ApiContext, auth: RouteHandler): void {
  const { maps, media, producer } = context;
  const image = imageBody(context.config.API_IMAGE_BODY_LIMIT_BYTES);

  routes.add('put', '/v1/maps/:id/image', auth, ...image, async (request, response) => {
    const mapId = entityIdParam(request.params.id, 'map_not_found', 'Map');
    const type = request.get('Content-Type')!.split(';')[0]!.trim().toLowerCase() as ImageContentType;
    const body = request.body as Buffer;
    if (!matchesSignature(type, body)) {
      throw new HttpError(400, 'invalid_image', `The body is not a ${type} image`);
    }
    if ((await maps.get(mapId)) === undefined) {
      throw new NotFoundError('map_not_found', `Map "${mapId}" does not exist`);
    }

    const sourceKey = `originals/${mapId}/${randomUUID()}.${imageContentTypes[type]}`;
    await media.put(sourceKey, body);

    let jobId: string;
    try {
      const job = await producer.enqueue(
        QueueNames.imageProcessing,
        JobNames.mapImage,
        { mapId, sourceKey },
        { requestId: requestIdOf(response) },
      );
      jobId = job.id!;
    } catch (error) {
      // Without a job no worker would ever read the original, so it is removed.
      await media.remove(sourceKey).catch(() => undefined);
      throw error;
    }

    loggerOf(response).info('Map image stored and queued', { mapId, jobId, bytes: body.length });
    const url = statusUrl(QueueNames.imageProcessing, jobId);
    response
      .status(202)
      .location(url)
      .json({
        mapId,
        sourceKey,
        job: { id: jobId, queue: QueueNames.imageProcessing, state: 'waiting', statusUrl: url },
      });
  });

  routes.add('get', '/v1/maps/:id/image/:variant', auth, async (request, response) => {
    const mapId = entityIdParam(request.params.id, 'map_not_found', 'Map');
    const variantName = String(request.params.variant);
    if (!isVariantName(variantName)) {
      throw new NotFoundError(
        'image_variant_not_found',
        `Variant "${variantName}" does not exist; expected one of: ${imageVariantNames.join(', ')}`,
      );
    }

    // Read from the store, not the cache: the worker sets the image, and a cached map could still lack it.
    const map = await maps.get(mapId);
    if (map === undefined) {
      throw new NotFoundError('map_not_found', `Map "${mapId}" does not exist`);
    }
    const variant = map.image?.variants[variantName];
    if (variant === undefined) {
      throw new NotFoundError('image_not_ready', `Map "${mapId}" has no processed ${variantName} image yet`);
    }

    let opened: Awaited<ReturnType<typeof media.open>>;
    try {
      opened = await media.open(variant.key);
    } catch (error) {
      if (error instanceof MediaNotFoundError) {
        throw new NotFoundError('image_not_ready', `Map "${mapId}" has no processed ${variantName} image yet`);
      }
      throw error;
    }

    // The handler returns once streaming starts, so a slow client is not cut off by the handler deadline.
    opened.stream.once('error', (error) => {
      loggerOf(response).error('Reading a map image failed', { mapId, key: variant.key, error });
      response.destroy(error);
    });
    response.status(200).type(variant.contentType).set('Content-Length', String(opened.bytes));
    opened.stream.pipe(response);
  });
}
