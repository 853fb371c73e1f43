/** The uWebSockets.js front door: listen, and stop accepting on shutdown. */
import uWS, { type TemplatedApp } from 'uWebSockets.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../logger.js';
import { mountRoutes, type Route } from './router.js';

export interface HttpServer {
  readonly port: number;
  /** Stops accepting connections; requests in progress still get their answer. */
  stopAccepting(): void;
}

/**
 * `setup` may register more on the app before it listens (e.g. WebSocket routes); it runs
 * before the HTTP routes are mounted, ahead of their catch-all 404.
 */
export function startHttpServer(http: Config['http'], routes: Route[], log: Logger, setup?: (app: TemplatedApp) => void): Promise<HttpServer> {
  const app = uWS.App();
  setup?.(app);
  mountRoutes(app, routes, http.bodyLimitBytes, log);
  return new Promise((resolve, reject) => {
    app.listen(http.host, http.port, (socket) => {
      if (socket === false) {
        reject(new Error(`could not listen on ${http.host}:${http.port} (in use?)`));
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
