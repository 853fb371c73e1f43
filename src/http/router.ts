/**
 * Mounts routes on a uWebSockets.js app with the rules that keep it alive: onAborted is
 * registered before any await, nothing is written after an abort, every error becomes a
 * JSON reply with a stable code, unknown paths get 404 and known paths 405 for other methods.
 */
import { performance } from 'node:perf_hooks';
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { AppError, isAppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { DrainState } from './drain.js';
import { isUnavailableError } from '../store/unavailable.js';
import { httpRequests, httpRequestSeconds } from './metrics.js';
import { captureRequest, type RequestContext } from './request.js';
import { errorReply, send, type Reply } from './respond.js';

export type Handler = (ctx: RequestContext) => Promise<Reply> | Reply;

export interface Route {
  method: 'get' | 'post';
  pattern: string;
  handler: Handler;
  /** Still served while the process drains (liveness, readiness); others get 503 then. */
  whileDraining?: boolean;
  /** Read the peer's address and X-Forwarded-For (per-address rate limits); '' otherwise. */
  needsAddress?: boolean;
}

interface RequestMetrics {
  count: ReturnType<typeof httpRequests.labels>;
  /** Null for the requests answered before a handler ran (unmatched paths, draining). */
  seconds: ReturnType<typeof httpRequestSeconds.labels> | null;
}
const bound = new Map<string, RequestMetrics>();

const METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS']);

/**
 * prom-client hashes label objects on every inc(); the few combinations are kept bound.
 * Methods outside the standard set count as OTHER so clients cannot grow the label set.
 */
function countRequest(route: string, rawMethod: string, status: number, startedAt?: number): void {
  const method = METHODS.has(rawMethod) ? rawMethod : 'OTHER';
  const key = `${route} ${method} ${status}`;
  let metrics = bound.get(key);
  if (metrics === undefined) {
    metrics = { count: httpRequests.labels(route, method, String(status)), seconds: null };
    bound.set(key, metrics);
  }
  metrics.count.inc();
  if (startedAt === undefined) return;
  metrics.seconds ??= httpRequestSeconds.labels(route, String(status));
  metrics.seconds.observe((performance.now() - startedAt) / 1000);
}

/** Shared refusal errors (SOLD_OUT...) answer most requests of a sale: serialise each once. */
const replies = new WeakMap<AppError, Reply>();

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;
let requestSeq = 0;

/** Ids are made only for the rare request that needs one: an unexpected error. */
function requestIdOf(ctx: RequestContext | undefined): string {
  const given = ctx?.requestId ?? '';
  return REQUEST_ID.test(given) ? given : `${process.pid}-${++requestSeq}`;
}

/**
 * The reply for an error thrown while handling a request: an AppError's own status and code
 * (the reply built once per error object), the database away as 503 UNAVAILABLE, anything
 * else as 500 INTERNAL logged with a request id the client also gets.
 */
export function replyForError(err: unknown, log: Logger, ctx?: RequestContext): Reply {
  if (isAppError(err)) {
    let reply = replies.get(err);
    if (reply === undefined) {
      reply = { ...errorReply(err), close: err.code === 'PAYLOAD_TOO_LARGE' };
      replies.set(err, reply);
    }
    return reply;
  }
  const requestId = requestIdOf(ctx);
  // The database away is not a bug: say so with a 503 the client may retry, as the issue route does.
  if (isUnavailableError(err)) {
    log.warn({ err, requestId, url: ctx?.url.slice(0, 200) }, 'database unavailable while handling a request');
    return { ...errorReply(new AppError('UNAVAILABLE', `the database is unavailable, please retry (request ${requestId})`)), headers: { 'X-Request-Id': requestId } };
  }
  log.error({ err, requestId, url: ctx?.url.slice(0, 200) }, 'unexpected error while handling a request');
  return { ...errorReply(new AppError('INTERNAL', `internal error (request ${requestId})`)), headers: { 'X-Request-Id': requestId } };
}

/** Closes the connection too, so a client's next request goes to a process that stays. */
const DRAINING: Reply = { ...errorReply(new AppError('UNAVAILABLE', 'this process is shutting down, nothing was reserved, please retry')), close: true };

function serve(res: HttpResponse, req: HttpRequest, route: Route, paramCount: number, bodyLimit: number, log: Logger, drain: DrainState | undefined): void {
  const startedAt = performance.now();
  const state = { done: false };
  res.onAborted(() => {
    state.done = true;
  });
  if (drain?.draining === true && route.whileDraining !== true) {
    countRequest(route.pattern, req.getCaseSensitiveMethod(), DRAINING.status);
    send(res, state, DRAINING);
    return;
  }
  let ctx: RequestContext;
  try {
    ctx = captureRequest(res, req, paramCount, bodyLimit, route.method === 'post', route.needsAddress === true);
  } catch (err) {
    send(res, state, replyForError(err, log));
    return;
  }
  drain?.enter();
  const answer = (reply: Reply): void => {
    drain?.leave();
    countRequest(route.pattern, ctx.method, reply.status, startedAt);
    send(res, state, reply);
  };
  const fail = (err: unknown): void => answer(replyForError(err, log, ctx));
  // Called at once, not from a promise of its own: one promise less per request. A handler
  // that throws before its first await is answered like one that rejects.
  let result: Promise<Reply> | Reply;
  try {
    result = route.handler(ctx);
  } catch (err) {
    fail(err);
    return;
  }
  if (result instanceof Promise) result.then(answer, fail);
  else answer(result);
}

function fixedReply(reply: Reply): (res: HttpResponse, req: HttpRequest) => void {
  return (res, req) => {
    countRequest('unmatched', req.getCaseSensitiveMethod(), reply.status);
    send(res, { done: false }, reply);
  };
}

export function mountRoutes(app: TemplatedApp, routes: Route[], bodyLimit: number, log: Logger, drain?: DrainState): void {
  const methodsByPattern = new Map<string, string[]>();
  for (const route of routes) {
    const paramCount = route.pattern.split('/').filter((part) => part.startsWith(':')).length;
    app[route.method](route.pattern, (res, req) => serve(res, req, route, paramCount, bodyLimit, log, drain));
    methodsByPattern.set(route.pattern, [...(methodsByPattern.get(route.pattern) ?? []), route.method.toUpperCase()]);
  }
  for (const [pattern, methods] of methodsByPattern) {
    const allow = methods.join(', ');
    const reply = errorReply(new AppError('METHOD_NOT_ALLOWED', `use ${allow} on this path`));
    app.any(pattern, fixedReply({ ...reply, headers: { Allow: allow } }));
  }
  app.any('/*', fixedReply(errorReply(new AppError('NOT_FOUND', 'no such route'))));
}
