/** Writing responses on uWebSockets.js: corked, and never after an abort. */
import type { HttpResponse } from 'uWebSockets.js';
import type { AppError } from '../errors.js';

const STATUS_TEXT: Record<number, string> = {
  200: '200 OK',
  201: '201 Created',
  202: '202 Accepted',
  400: '400 Bad Request',
  401: '401 Unauthorized',
  403: '403 Forbidden',
  404: '404 Not Found',
  405: '405 Method Not Allowed',
  409: '409 Conflict',
  413: '413 Payload Too Large',
  429: '429 Too Many Requests',
  500: '500 Internal Server Error',
  503: '503 Service Unavailable',
};

export interface Reply {
  status: number;
  body: string;
  contentType?: string;
  headers?: Record<string, string>;
  /** Close the connection after this response (e.g. a body we refused to read). */
  close?: boolean;
}

export function json(status: number, value: unknown, headers?: Record<string, string>): Reply {
  return { status, body: JSON.stringify(value), ...(headers === undefined ? {} : { headers }) };
}

export function errorReply(err: AppError): Reply {
  return json(err.status, err.toBody(), err.headers === undefined ? undefined : { ...err.headers });
}

/** Sends a reply unless the client has gone; safe to call after an await. */
export function send(res: HttpResponse, state: { done: boolean }, reply: Reply): void {
  if (state.done) return;
  state.done = true;
  res.cork(() => {
    res.writeStatus(STATUS_TEXT[reply.status] ?? String(reply.status));
    res.writeHeader('Content-Type', reply.contentType ?? 'application/json');
    if (reply.headers !== undefined) {
      for (const [name, value] of Object.entries(reply.headers)) res.writeHeader(name, value);
    }
    res.end(reply.body, reply.close === true);
  });
}
