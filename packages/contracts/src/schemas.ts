import { z } from 'zod';

/**
 * Identifier of a stored entity (tournament, map). Letters, digits, `_` and
 * `-` only, because ids end up inside Redis keys and BullMQ job ids, where
 * `:` is a separator.
 */
export const entityIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, "_" or "-"');

/** ISO 8601 instant with a time zone designator, such as `2026-12-04T18:00:00.000Z`. */
export const isoTimestampSchema = z.iso.datetime({ offset: true });

/**
 * Key of an object in the media store: slash-separated segments of safe
 * characters, never absolute and never climbing out with `..`.
 */
export const mediaKeySchema = z
  .string()
  .max(512)
  .regex(
    /^(?!.*\.\.)[A-Za-z0-9_-][A-Za-z0-9_.-]*(\/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*$/,
    'must be a relative path of letters, digits, "_", "-" and "." without ".."',
  );
