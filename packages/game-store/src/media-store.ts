import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { mediaKeySchema } from '@backbone/contracts';

/**
 * Storage of uploaded originals and processed images. The api writes
 * originals, the worker reads them and writes variants, and jobs carry only
 * keys. Keys are relative paths checked against `mediaKeySchema`.
 */
export interface MediaStore {
  /** Writes `data` under `key`, replacing what was there, and returns the size written. */
  put(key: string, data: Buffer | Readable): Promise<{ bytes: number }>;
  read(key: string): Promise<Buffer>;
  /** Opens `key` for streaming; rejects with `MediaNotFoundError` when it does not exist. */
  open(key: string): Promise<{ stream: Readable; bytes: number }>;
  exists(key: string): Promise<boolean>;
  remove(key: string): Promise<void>;
}

export class MediaNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`Media "${key}" does not exist`);
    this.name = 'MediaNotFoundError';
  }
}

/**
 * Media store on a local or shared filesystem directory (`MEDIA_DIR`). A
 * write goes to a temporary file first and is renamed into place, so a
 * reader never sees half a file.
 */
export class FileSystemMediaStore implements MediaStore {
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  async put(key: string, data: Buffer | Readable): Promise<{ bytes: number }> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    const temporary = `${path}.${randomUUID()}.tmp`;

    try {
      if (Buffer.isBuffer(data)) {
        await writeFile(temporary, data);
      } else {
        await pipeline(data, createWriteStream(temporary));
      }
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    return { bytes: (await stat(path)).size };
  }

  async read(key: string): Promise<Buffer> {
    try {
      return await readFile(this.pathOf(key));
    } catch (error) {
      throw notFoundOr(error, key);
    }
  }

  async open(key: string): Promise<{ stream: Readable; bytes: number }> {
    const path = this.pathOf(key);
    try {
      const { size } = await stat(path);
      return { stream: createReadStream(path), bytes: size };
    } catch (error) {
      throw notFoundOr(error, key);
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(key))).isFile();
    } catch {
      return false;
    }
  }

  async remove(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  /** Absolute path of `key`; throws when the key is malformed or would leave the root. */
  private pathOf(key: string): string {
    if (!mediaKeySchema.safeParse(key).success) {
      throw new Error(`Invalid media key "${key}"`);
    }
    const path = resolve(join(this.root, key));
    if (!path.startsWith(this.root + sep)) {
      throw new Error(`Media key "${key}" points outside the media directory`);
    }
    return path;
  }
}

function notFoundOr(error: unknown, key: string): unknown {
  return (error as NodeJS.ErrnoException).code === 'ENOENT' ? new MediaNotFoundError(key) : error;
}
