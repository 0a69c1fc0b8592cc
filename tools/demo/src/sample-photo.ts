import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';

import sharp from 'sharp';

import { StepFailure } from './step';

/** A photo ready to upload. */
export interface Photo {
  bytes: Buffer;
  contentType: string;
  /** Description of the photo printed by the step. */
  description: string;
  /** Set for the generated photo only: the width and height it shows at once its EXIF orientation is applied. */
  uprightSize?: { width: number; height: number };
}

/** EXIF orientation 6: the stored pixels are shown turned 90 degrees clockwise. */
const EXIF_ORIENTATION_ROTATE_90_CW = 6;

const STORED_WIDTH = 1600;
const STORED_HEIGHT = 1200;

/** Content types the api accepts, by file extension. */
const CONTENT_TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
};

/**
 * Draws a landscape JPEG tagged with EXIF orientation 6. The sky is on the
 * left and the arrow points left in the stored pixels, so once a viewer or
 * the worker turns it upright it is a portrait with the sky on top and the
 * arrow pointing up.
 */
export async function generatePhoto(): Promise<Photo> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${STORED_WIDTH}" height="${STORED_HEIGHT}">
  <rect width="${STORED_WIDTH}" height="${STORED_HEIGHT}" fill="#3f8f3a"/>
  <rect width="${STORED_WIDTH * 0.6}" height="${STORED_HEIGHT}" fill="#7fb8e6"/>
  <polygon points="200,600 700,250 700,450 1300,450 1300,750 700,750 700,950" fill="#d9352b"/>
</svg>`;
  const bytes = await sharp(Buffer.from(svg))
    .jpeg({ quality: 85 })
    .withMetadata({ orientation: EXIF_ORIENTATION_ROTATE_90_CW })
    .toBuffer();

  const metadata = await sharp(bytes).metadata();
  if (metadata.orientation !== EXIF_ORIENTATION_ROTATE_90_CW) {
    throw new StepFailure(
      `the generated photo has EXIF orientation ${metadata.orientation ?? 'none'}, expected ${EXIF_ORIENTATION_ROTATE_90_CW}`,
    );
  }

  return {
    bytes,
    contentType: 'image/jpeg',
    description:
      `generated ${STORED_WIDTH}x${STORED_HEIGHT} JPEG with EXIF orientation ${EXIF_ORIENTATION_ROTATE_90_CW} ` +
      `(shown turned 90 degrees clockwise, ${STORED_HEIGHT}x${STORED_WIDTH}), ${formatBytes(bytes.length)}`,
    uprightSize: { width: STORED_HEIGHT, height: STORED_WIDTH },
  };
}

/** Reads the photo at `path`; its content type comes from the file extension. */
export async function readPhoto(path: string): Promise<Photo> {
  const contentType = CONTENT_TYPES[extname(path).toLowerCase()];
  if (contentType === undefined) {
    throw new StepFailure(
      `cannot upload "${path}": the extension must be one of ${Object.keys(CONTENT_TYPES).join(', ')}`,
    );
  }

  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new StepFailure(`cannot read "${path}": ${error instanceof Error ? error.message : String(error)}`);
  }
  return { bytes, contentType, description: `${path} (${contentType}, ${formatBytes(bytes.length)})` };
}

export function formatBytes(bytes: number): string {
  return bytes < 1024 ? `${bytes} bytes` : `${(bytes / 1024).toFixed(1)} KiB`;
}
