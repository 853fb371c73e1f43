/**
 * The uWebSockets.js listeners: the public front door and, when OPS_PORT is set, the
 * operations listener. Both stop accepting on shutdown.
 */
import { createRequire } from 'node:module';
import uWS, { type TemplatedApp } from 'uWebSockets.js';
import type { Logger } from '../logger.js';
import type { DrainState } from './drain.js';
import { mountRoutes, type Route } from './router.js';

export interface HttpServer {
  readonly port: number;
  /** Stops accepting connections; requests in progress still get their answer. */
  stopAccepting(): void;
}

export interface Listen {
  host: string;
  port: number;
  bodyLimitBytes: number;
}

/**
 * The registry build of uWebSockets.js loads a pure-JS server, silently and several times
 * slower, when its native addon does not load; which one is in require's cache tells.
 */
export function uwsImplementation(): 'native' | 'fallback' {
  const cache = createRequire(import.meta.url).cache;
  return Object.keys(cache).some((path) => /uws_[^/\\]+\.node$/.test(path)) ? 'native' : 'fallback';
}

/** Logs which implementation loaded; throws on the fallback unless it is allowed. */
export function checkUwsImplementation(allowFallback: boolean, log: Logger): void {
  const implementation = uwsImplementation();
  if (implementation === 'native') {
    log.info({ uws: implementation }, 'uWebSockets.js native addon loaded');
    return;
  }
  if (!allowFallback) throw new Error('uWebSockets.js loaded its pure-JS fallback, not the native addon (set UWS_ALLOW_FALLBACK=true to run on it anyway)');
  log.warn({ uws: implementation }, 'uWebSockets.js runs on its pure-JS fallback: expect several times less throughput');
}

/**
 * `setup` may register more on the app before it listens (e.g. WebSocket routes); it runs
 * before the HTTP routes are mounted, ahead of their catch-all 404.
 */
export function startHttpServer(listen: Listen, routes: Route[], log: Logger, options: { setup?: (app: TemplatedApp) => void; drain?: DrainState } = {}): Promise<HttpServer> {
  const app = uWS.App();
  options.setup?.(app);
  mountRoutes(app, routes, listen.bodyLimitBytes, log, options.drain);
  return new Promise((resolve, reject) => {
    app.listen(listen.host, listen.port, (socket) => {
      if (socket === false) {
        reject(new Error(`could not listen on ${listen.host}:${listen.port} (in use?)`));
        return;
      }
      let listening: typeof socket | undefined = socket;
      resolve({
        port: uWS.us_socket_local_port(socket),
        stopAccepting() {
          if (listening !== undefined) uWS.us_listen_socket_close(listening);
          listening = undefined;
        },
      });
    });
  });
}
