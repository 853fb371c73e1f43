/**
 * What a handler sees of a request. uWebSockets.js's HttpRequest is valid only until the
 * first await, so everything needed is copied out at once; the body is read with a limit.
 */
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { AppError } from '../errors.js';

export interface RequestContext {
  method: string;
  url: string;
  params: string[];
  authorization: string;
  /** The peer's address and its X-Forwarded-For header, for per-client rate limits ('' unless the route needs them). */
  remoteAddress: string;
  forwardedFor: string;
  /** The caller's X-Request-Id (checked when used), for correlating our logs with theirs. */
  requestId: string;
  /** Resolves with the whole body; rejects with PAYLOAD_TOO_LARGE past the limit. */
  body(): Promise<Buffer>;
}

const BAD_ESCAPE = new AppError('INVALID_PATH', 'the path has a malformed percent-escape');

/** A malformed escape (`%E0%A4%A`) is the client's mistake: 400, not a thrown URIError. */
function decodeSegment(raw: string): string {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    throw BAD_ESCAPE;
  }
}

export function captureRequest(res: HttpResponse, req: HttpRequest, paramCount: number, bodyLimit: number, wantsBody: boolean, wantsAddress: boolean): RequestContext {
  const params: string[] = [];
  for (let i = 0; i < paramCount; i++) params.push(decodeSegment(req.getParameter(i) ?? ''));
  const declaredLength = Number(req.getHeader('content-length') || '0');
  const body = wantsBody ? readBody(res, bodyLimit, declaredLength) : Promise.resolve(Buffer.alloc(0));
  // Without a reader the rejection of an over-long body would be unhandled.
  body.catch(() => undefined);
  return {
    method: req.getCaseSensitiveMethod(),
    url: req.getUrl(),
    params,
    authorization: req.getHeader('authorization'),
    // Copied out of uWebSockets.js and decoded: worth it only for a route that uses it.
    remoteAddress: wantsAddress ? Buffer.from(res.getRemoteAddressAsText()).toString() : '',
    forwardedFor: wantsAddress ? req.getHeader('x-forwarded-for') : '',
    requestId: req.getHeader('x-request-id'),
    body: () => body,
  };
}

/**
 * A body past the limit is still read, and dropped, up to this size before the 413 goes out:
 * closing while the client is still writing makes its kernel reset the connection, and a
 * client that does not wait for `100 Continue` (Node's http) never sees the answer. Past it,
 * the 413 is sent at once and the connection closed.
 */
export const DISCARD_LIMIT_BYTES = 8 * 1024 * 1024;

function readBody(res: HttpResponse, limit: number, declaredLength: number): Promise<Buffer> {
  if (declaredLength > DISCARD_LIMIT_BYTES) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    res.onData((chunk, isLast) => {
      size += chunk.byteLength;
      if (size > limit && !refused) {
        refused = true;
        chunks.length = 0;
      }
      if (refused) {
        if (isLast || size > DISCARD_LIMIT_BYTES) reject(tooLarge(limit));
        return;
      }
      // uWS reuses the chunk's memory after this callback returns: copy it.
      chunks.push(Buffer.from(new Uint8Array(chunk)));
      if (isLast) resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    });
  });
}

function tooLarge(limit: number): AppError {
  return new AppError('PAYLOAD_TOO_LARGE', `request body is larger than ${limit} bytes`);
}

/** Parses a JSON object body, with a clear 400 for anything else. */
export function parseJsonObject(raw: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new AppError('INVALID_JSON', 'request body must be valid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new AppError('INVALID_JSON', 'request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}
