/**
 * FRONT_DOOR_THREADS=N: N front doors in one process. The main thread serves as usual; N-1
 * worker threads each run the `api` role (front door, gate client, producer) on the port the
 * main thread bound, and the kernel spreads connections over them (SO_REUSEPORT, which
 * uWebSockets.js sets on Linux). Admission stays exact: every front door asks the same Redis
 * gate. Each thread counts in its own metrics registry; /metrics answers their sum
 * (src/threads/metrics.ts).
 */
import { once } from 'node:events';
import { createServer } from 'node:net';
import { Worker } from 'node:worker_threads';
import type { Config } from '../config/index.js';
import type { Logger } from '../logger.js';
import { workerFile } from '../paths.js';
import type { FrontDoorThreadData, FrontDoorThreadMessage } from './messages.js';
import { serveProcessMetrics } from './metrics.js';

/** A thread that has not drained within this after being asked is left to the process exit. */
const STOP_WAIT_MS = 30_000;

export interface FrontDoorThreads {
  /** Asks every thread to drain (its requests answered, its producer flushed) and waits for them; the process exit ends them. */
  stop(): Promise<void>;
}

/** `ports`: what the main thread bound (the public port, and the operations port when OPS_PORT is set). */
export async function startFrontDoorThreads(config: Config, ports: { port: number; opsPort: number | undefined }, log: Logger): Promise<FrontDoorThreads> {
  const { port, opsPort } = ports;
  const workers: Worker[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(
      workers.map(async (worker) => {
        const stopped = new Promise<void>((resolve) => {
          worker.on('message', (message: FrontDoorThreadMessage) => message.type === 'stopped' && resolve());
          worker.once('exit', () => resolve());
          setTimeout(resolve, STOP_WAIT_MS).unref();
        });
        worker.postMessage({ type: 'stop' } satisfies FrontDoorThreadMessage);
        await stopped;
      }),
    );
  };
  try {
    for (let thread = 1; thread < config.http.threads; thread++) {
      // The same settings, on the port the main thread bound, in the role that serves HTTP only.
      const ops = config.ops === undefined || opsPort === undefined ? config.ops : { ...config.ops, port: opsPort };
      const data: FrontDoorThreadData = { config: { ...config, role: 'api', http: { ...config.http, port, threads: 1 }, ops }, thread };
      const worker = new Worker(workerFile('front-door'), { workerData: data });
      workers.push(worker);
      await new Promise<void>((resolve, reject) => {
        worker.once('error', reject);
        worker.once('exit', (code) => reject(new Error(`front-door thread ${thread} exited (${code}) before serving`)));
        worker.on('message', (message: FrontDoorThreadMessage) => {
          if (message.type === 'serving') resolve();
        });
      });
      worker.removeAllListeners('exit');
      worker.on('error', (err) => log.error({ thread, err: err.message }, 'front-door thread failed'));
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  serveProcessMetrics(workers);
  if (workers.length > 0) log.info({ threads: config.http.threads, port }, 'front-door threads serving');
  return { stop: stopAll };
}

/** A port free now (PORT=0 with several threads: the kernel picks one, and the threads share it). */
export async function unusedPort(host: string): Promise<number> {
  const server = createServer();
  server.listen(0, host);
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('could not find a free port');
  return address.port;
}
