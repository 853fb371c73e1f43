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
  /** The caller's X-Request-Id (checked when used), for correlating our logs with theirs. */
  requestId: string;
  /** Resolves with the whole body; rejects with PAYLOAD_TOO_LARGE past the limit. */
  body(): Promise<Buffer>;
}

export function captureRequest(res: HttpResponse, req: HttpRequest, paramCount: number, bodyLimit: number, wantsBody: boolean): RequestContext {
  const params: string[] = [];
  for (let i = 0; i < paramCount; i++) params.push(decodeURIComponent(req.getParameter(i) ?? ''));
  const declaredLength = Number(req.getHeader('content-length') || '0');
  const body = wantsBody ? readBody(res, bodyLimit, declaredLength) : Promise.resolve(Buffer.alloc(0));
  // Without a reader the rejection of an over-long body would be unhandled.
  body.catch(() => undefined);
  return {
    method: req.getCaseSensitiveMethod(),
    url: req.getUrl(),
    params,
    authorization: req.getHeader('authorization'),
    requestId: req.getHeader('x-request-id'),
    body: () => body,
  };
}

function readBody(res: HttpResponse, limit: number, declaredLength: number): Promise<Buffer> {
  if (declaredLength > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    res.onData((chunk, isLast) => {
      if (refused) return;
      size += chunk.byteLength;
      if (size > limit) {
        refused = true;
        reject(tooLarge(limit));
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
