import { StepFailure } from './step';

/** A response read in full, so a failing check can quote its body. */
export interface ApiResponse {
  /** `METHOD /path`, for messages. */
  request: string;
  status: number;
  headers: Headers;
  body: Buffer;
}

/** Problem details as the api returns them (`application/problem+json`). */
export interface Problem {
  status?: number;
  code?: string;
  detail?: string;
  errors?: { pointer?: string; path?: string; detail?: string }[];
}

/**
 * Sends `init` to `url` and reads the whole body. A connection failure
 * becomes `StepFailure` naming the address, what it is (`what`) and the
 * variable that sets it (`variable`).
 */
export async function fetchFully(
  url: string,
  init: RequestInit,
  target: { what: string; variable: string },
): Promise<ApiResponse> {
  const request = `${init.method ?? 'GET'} ${new URL(url).pathname}`;
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
    throw new StepFailure(
      `could not reach the ${target.what} at ${new URL(url).origin} (${reason}); ` +
        `start the system with "npm start" or set ${target.variable}`,
    );
  }
  return {
    request,
    status: response.status,
    headers: response.headers,
    body: Buffer.from(await response.arrayBuffer()),
  };
}

/** Parses a response body as JSON; throws `StepFailure` when it is not JSON. */
export function jsonOf<T>(response: ApiResponse): T {
  try {
    return JSON.parse(response.body.toString('utf8')) as T;
  } catch {
    throw new StepFailure(`${response.request} returned a body that is not JSON: ${preview(response.body)}`);
  }
}

/** Client of the api's `/v1` routes with the demo's API key. */
export class ApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly apiKey: string,
  ) {}

  /** Sends a request; `json` is sent as an `application/json` body, `bytes` with `contentType`. */
  async send(
    method: string,
    path: string,
    body?: { json: unknown } | { bytes: Buffer; contentType: string },
  ): Promise<ApiResponse> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.apiKey}` };
    let payload: string | Buffer | undefined;
    if (body !== undefined && 'json' in body) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body.json);
    } else if (body !== undefined) {
      headers['Content-Type'] = body.contentType;
      payload = body.bytes;
    }

    return fetchFully(
      `${this.baseUrl}${path}`,
      { method, headers, ...(payload === undefined ? {} : { body: payload }) },
      { what: 'api', variable: 'API_URL' },
    );
  }

  /** Sends a request and returns its JSON body; throws `StepFailure` unless the status is `expectedStatus`. */
  async sendExpecting<T>(
    expectedStatus: number,
    method: string,
    path: string,
    body?: { json: unknown } | { bytes: Buffer; contentType: string },
  ): Promise<{ response: ApiResponse; json: T }> {
    const response = await this.send(method, path, body);
    expectStatus(response, expectedStatus);
    return { response, json: jsonOf<T>(response) };
  }
}

/**
 * Throws `StepFailure` unless `response` has `expectedStatus`. The message
 * quotes the problem's code and detail, and for 401 and 403 names the
 * variable that sets the key.
 */
export function expectStatus(response: ApiResponse, expectedStatus: number): void {
  if (response.status === expectedStatus) {
    return;
  }

  let reason = preview(response.body);
  if ((response.headers.get('content-type') ?? '').includes('json')) {
    const problem = jsonOf<Problem>(response);
    if (problem.code !== undefined) {
      reason = `${problem.code}: ${problem.detail ?? ''}`;
    }
  }
  const hint =
    response.status === 401 || response.status === 403 ? "; set API_KEY to one of the keys in the api's API_KEYS" : '';
  throw new StepFailure(
    `${response.request} returned ${response.status} (${reason}), expected ${expectedStatus}${hint}`,
  );
}

/** First 200 characters of a body, on one line. */
function preview(body: Buffer): string {
  const text = body.toString('utf8').replace(/\s+/g, ' ').trim();
  return text.length > 200 ? `${text.slice(0, 200)}...` : text || '(empty body)';
}

/** Reduces the `Cache-Status` header to `hit` or `miss`, or `not reported` when the api sends none. */
export function cacheStatusOf(headers: Headers): string {
  const header = headers.get('cache-status');
  if (header === null) {
    return 'not reported';
  }
  return /;\s*hit\b/.test(header) ? 'hit' : 'miss';
}
