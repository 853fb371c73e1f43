/**
 * A TCP proxy in front of a real service (Redis, MariaDB, Kafka). Tests point the service
 * under test at the proxy and call `cut()` to make the dependency unreachable (every
 * connection dropped, new ones refused) and `restore()` to bring it back, without
 * disturbing the shared server that other tests use. `freeze()` keeps every connection open
 * but forwards nothing (a server that stopped answering) until `thaw()`.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  cut(): Promise<void>;
  restore(): Promise<void>;
  freeze(): void;
  thaw(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }, listenPort = 0): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const pairs = new Set<[Socket, Socket]>();
  let frozen = false;
  let server: Server | undefined;
  let port = listenPort;

  const listen = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const created = createServer((client) => {
        const upstream = connect(target);
        sockets.add(client);
        sockets.add(upstream);
        const pair: [Socket, Socket] = [client, upstream];
        const drop = (): void => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
          pairs.delete(pair);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
        pairs.add(pair);
        if (!frozen) forward(pair);
      });
      created.once('error', reject);
      created.listen(port, '127.0.0.1', () => {
        const address = created.address();
        if (address !== null && typeof address === 'object') port = address.port;
        server = created;
        resolve();
      });
    });

  const forward = ([client, upstream]: [Socket, Socket]): void => {
    client.pipe(upstream);
    upstream.pipe(client);
  };

  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      if (server === undefined) return resolve();
      const closing = server;
      server = undefined;
      closing.close(() => resolve());
    });

  await listen();
  return {
    get port() {
      return port;
    },
    cut: stop,
    restore: listen,
    freeze() {
      frozen = true;
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    thaw() {
      frozen = false;
      for (const pair of pairs) forward(pair);
    },
    close: stop,
  };
}
