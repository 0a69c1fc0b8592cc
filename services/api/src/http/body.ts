import express, { type RequestHandler } from 'express';

import { HttpError } from './problem';

/** Tells whether the request carries a body, judged from its headers as body-parser does. */
function hasBody(request: { headers: Record<string, string | string[] | undefined> }): boolean {
  return request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;
}

/**
 * Parses a JSON body up to `limitBytes`. A body of another content type is
 * 415; a request without a body gets `undefined` as its body, which the
 * route's schema then accepts or rejects.
 */
export function jsonBody(limitBytes: number): RequestHandler[] {
  const parse = express.json({ limit: limitBytes, strict: false, type: () => true });

  const checkType: RequestHandler = (request, _response, next) => {
    if (!hasBody(request)) {
      request.body = undefined;
      next();
      return;
    }
    if (request.is('application/json') === false) {
      throw new HttpError(415, 'unsupported_media_type', 'Send the body as application/json');
    }
    next();
  };

  const parseIfPresent: RequestHandler = (request, response, next) => {
    if (!hasBody(request)) {
      next();
      return;
    }
    parse(request, response, next);
  };

  return [checkType, parseIfPresent];
}

/** Content types accepted for map images, with the file extension stored for each. */
export const imageContentTypes = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
  'image/gif': 'gif',
} as const;

export type ImageContentType = keyof typeof imageContentTypes;

/** Reads a raw image body up to `limitBytes`; other content types are 415. */
export function imageBody(limitBytes: number): RequestHandler[] {
  const types = Object.keys(imageContentTypes);
  const parse = express.raw({ limit: limitBytes, type: types });

  const checkType: RequestHandler = (request, _response, next) => {
    if (!hasBody(request)) {
      throw new HttpError(400, 'image_missing', 'Send the image bytes as the request body');
    }
    if (request.is(types) === false) {
      throw new HttpError(415, 'unsupported_media_type', `Send the image as one of: ${types.join(', ')}`);
    }
    next();
  };

  return [checkType, parse];
}
