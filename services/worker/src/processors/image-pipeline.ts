import { type ImageVariantName, ImageVariants } from '@backbone/contracts';
import sharp from 'sharp';

/** Formats the worker accepts as an original. Anything else that sharp can read, such as SVG or PDF, is rejected. */
export const ACCEPTED_INPUT_FORMATS = ['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif', 'heif'] as const;

const WEBP_QUALITY = 82;

/** An original that can never be processed: truncated, corrupt, of an unaccepted format or too large. */
export class ImageRejectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageRejectedError';
  }
}

export interface RenderedVariant {
  name: ImageVariantName;
  data: Buffer;
  width: number;
  height: number;
}

export interface RenderedImage {
  /** Size of the original after EXIF orientation, in pixels. */
  width: number;
  height: number;
  /** Format of the original as sharp names it, such as `jpeg`. */
  format: string;
  variants: RenderedVariant[];
}

/**
 * Decodes an original and renders one WebP per declared variant: turned
 * upright by its EXIF orientation, converted to sRGB, scaled down to fit
 * the variant's box and never scaled up. An animated original yields its
 * first frame only. Throws `ImageRejectedError` for input that no retry
 * could fix.
 */
export async function renderImage(
  original: Buffer,
  maxInputPixels: number,
  onVariant?: (done: number, total: number) => Promise<void>,
): Promise<RenderedImage> {
  // `failOn: 'truncated'` turns a cut-off upload into an error instead of an
  // image with a grey lower half; `pages: 1` reads only the first frame.
  const decodeOptions = { limitInputPixels: maxInputPixels, failOn: 'truncated', pages: 1 } as const;

  const metadata = await decode(() => sharp(original, decodeOptions).metadata());
  const format = metadata.format;
  if (format === undefined || !(ACCEPTED_INPUT_FORMATS as readonly string[]).includes(format)) {
    throw new ImageRejectedError(
      `Unsupported image format "${format ?? 'unknown'}"; expected one of: ${ACCEPTED_INPUT_FORMATS.join(', ')}`,
    );
  }

  const upright = metadata.autoOrient ?? { width: metadata.width, height: metadata.height };
  if (upright.width * upright.height > maxInputPixels) {
    throw new ImageRejectedError(
      `Image of ${upright.width}x${upright.height} pixels exceeds the limit of ${maxInputPixels} pixels`,
    );
  }

  const definitions = Object.values(ImageVariants);
  const variants: RenderedVariant[] = [];
  for (const definition of definitions) {
    const { data, info } = await decode(() =>
      sharp(original, decodeOptions)
        .rotate()
        .toColourspace('srgb')
        .resize({ width: definition.maxSize, height: definition.maxSize, fit: 'inside', withoutEnlargement: true })
        .webp({ quality: WEBP_QUALITY })
        .toBuffer({ resolveWithObject: true }),
    );
    variants.push({ name: definition.name, data, width: info.width, height: info.height });
    await onVariant?.(variants.length, definitions.length);
  }

  return { width: upright.width, height: upright.height, format, variants };
}

/** Runs a sharp step, turning its decoding errors into `ImageRejectedError` with a readable reason. */
async function decode<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    const detail = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim();
    if (/pixel limit/i.test(detail)) {
      throw new ImageRejectedError(`Image exceeds the pixel limit: ${detail}`);
    }
    if (/unsupported image format/i.test(detail)) {
      throw new ImageRejectedError(`Unsupported image format: ${detail}`);
    }
    throw new ImageRejectedError(`Image could not be decoded, it is truncated or corrupt: ${detail}`);
  }
}
