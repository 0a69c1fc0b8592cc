import { ChannelNames, type ImageVariantName, JobNames, MapChanges, QueueNames } from '@backbone/contracts';
import { type ImageVariant, type MapStore, MediaNotFoundError, type MediaStore } from '@backbone/game-store';
import { type EventPublisher, readJob } from '@backbone/platform';
import { UnrecoverableError } from 'bullmq';

import { defineProcessor, type Processor } from '../registry';
import { ImageRejectedError, renderImage } from './image-pipeline';

export interface MapImageProcessorDeps {
  mediaStore: MediaStore;
  mapStore: MapStore;
  publisher: EventPublisher;
  /** Largest original, in pixels, that is decoded (`IMAGE_MAX_INPUT_PIXELS`). */
  maxInputPixels: number;
}

const WEBP_CONTENT_TYPE = 'image/webp';

/** Media-store key of a processed variant of a map's image. */
export function mapImageVariantKey(mapId: string, variant: ImageVariantName): string {
  return `maps/${mapId}/${variant}.webp`;
}

/**
 * Turns an uploaded map image into its WebP variants, records them on the
 * map and publishes `map:updated`. A missing original or map, and an image
 * that cannot be decoded, fail the job without retries; storage and Redis
 * errors are retried.
 */
export function mapImageProcessor(deps: MapImageProcessorDeps): Processor {
  return defineProcessor(QueueNames.imageProcessing, JobNames.mapImage, async (job) => {
    const { data } = readJob(QueueNames.imageProcessing, JobNames.mapImage, job);

    if ((await deps.mapStore.get(data.mapId)) === undefined) {
      throw new UnrecoverableError(`Map "${data.mapId}" does not exist`);
    }

    let original: Buffer;
    try {
      original = await deps.mediaStore.read(data.sourceKey);
    } catch (error) {
      if (error instanceof MediaNotFoundError) {
        throw new UnrecoverableError(`Original image "${data.sourceKey}" does not exist in the media store`);
      }
      throw error;
    }
    await job.updateProgress(10);

    let rendered: Awaited<ReturnType<typeof renderImage>>;
    try {
      rendered = await renderImage(original, deps.maxInputPixels, (done, total) =>
        job.updateProgress(10 + Math.round((done / total) * 70)),
      );
    } catch (error) {
      if (error instanceof ImageRejectedError) {
        throw new UnrecoverableError(error.message);
      }
      throw error;
    }

    const variants = {} as Record<ImageVariantName, ImageVariant>;
    for (const variant of rendered.variants) {
      const key = mapImageVariantKey(data.mapId, variant.name);
      const { bytes } = await deps.mediaStore.put(key, variant.data);
      variants[variant.name] = {
        key,
        width: variant.width,
        height: variant.height,
        contentType: WEBP_CONTENT_TYPE,
        bytes,
      };
    }
    await job.updateProgress(90);

    const stored = await deps.mapStore.setImage(data.mapId, {
      sourceKey: data.sourceKey,
      width: rendered.width,
      height: rendered.height,
      format: rendered.format,
      variants,
      processedAt: new Date().toISOString(),
    });
    if (!stored) {
      throw new UnrecoverableError(`Map "${data.mapId}" was deleted while its image was processed`);
    }

    await deps.publisher.publish(ChannelNames.mapUpdated, {
      mapId: data.mapId,
      changes: [MapChanges.image],
      timestamp: new Date().toISOString(),
    });
    await job.updateProgress(100);

    return { width: rendered.width, height: rendered.height, format: rendered.format, variants };
  });
}
