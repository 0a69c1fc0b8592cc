import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ImageVariants } from '@backbone/contracts';
import sharp from 'sharp';

import { expectStatus } from '../api-client';
import { followJob } from '../jobs';
import { formatBytes, generatePhoto, type Photo, readPhoto } from '../sample-photo';
import { expectThat, type Step } from '../step';

const THUMBNAIL = ImageVariants.thumbnail;

/** Content type of every processed variant. */
const VARIANT_CONTENT_TYPE = 'image/webp';

/**
 * Creates a map, uploads a photo to it, follows the image job's progress and
 * fetches the thumbnail. For the generated photo it checks that the
 * thumbnail is the upright portrait, which proves that the worker applied
 * the EXIF orientation.
 */
export const mapImageStep: Step = {
  title: 'upload a map photo and fetch its thumbnail',

  async run(context) {
    // The photo is read first, so a wrong path fails before anything is created.
    const photo: Photo =
      context.config.imagePath === undefined ? await generatePhoto() : await readPhoto(context.config.imagePath);

    const { json: map } = await context.api.sendExpecting<{ id: string; name: string; status: string }>(
      201,
      'POST',
      '/v1/maps',
      { json: { name: `Demo map ${context.runId}`, tournamentId: context.tournamentId } },
    );
    context.mapId = map.id;
    context.print(`created map ${map.id} "${map.name}": status ${map.status}`);
    context.print(`photo: ${photo.description}`);

    const { json: upload } = await context.api.sendExpecting<{ job: { id: string; queue: string; statusUrl: string } }>(
      202,
      'PUT',
      `/v1/maps/${map.id}/image`,
      { bytes: photo.bytes, contentType: photo.contentType },
    );
    context.print(`uploaded the photo: job ${upload.job.id} in queue ${upload.job.queue} processes it`);

    await followJob(context, upload.job.statusUrl, { showProgress: true });

    const response = await context.api.send('GET', `/v1/maps/${map.id}/image/${THUMBNAIL.name}`);
    expectStatus(response, 200);
    const contentType = response.headers.get('content-type') ?? 'none';
    const metadata = await sharp(response.body).metadata();
    const file = join(tmpdir(), `backbone-demo-${map.id}-${THUMBNAIL.name}.webp`);
    await writeFile(file, response.body);
    context.print(
      `${THUMBNAIL.name}: ${metadata.width}x${metadata.height} ${contentType}, ${formatBytes(response.body.length)}, saved to ${file}`,
    );

    expectThat(
      contentType === VARIANT_CONTENT_TYPE,
      `the ${THUMBNAIL.name} has content type ${contentType}, expected ${VARIANT_CONTENT_TYPE}`,
    );
    expectThat(
      Math.max(metadata.width, metadata.height) <= THUMBNAIL.maxSize,
      `the ${THUMBNAIL.name} is ${metadata.width}x${metadata.height}, larger than its ${THUMBNAIL.maxSize} pixel box`,
    );

    if (photo.uprightSize !== undefined) {
      const portrait = photo.uprightSize.height > photo.uprightSize.width;
      expectThat(
        metadata.height > metadata.width === portrait,
        `the ${THUMBNAIL.name} is ${metadata.width}x${metadata.height}, expected a ${portrait ? 'portrait' : 'landscape'} ` +
          'image because the photo carries an EXIF orientation that turns it',
      );
      context.print(`the ${THUMBNAIL.name} is upright: the worker applied the EXIF orientation`);
    }
  },
};
