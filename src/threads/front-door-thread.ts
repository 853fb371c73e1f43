/**
 * The life of one front-door thread: start the `api` role with the settings it was given,
 * say when it serves, and drain and stop when the main thread asks.
 */
import type { MessagePort } from 'node:worker_threads';
import { startService } from '../app.js';
import { createLogger } from '../logger.js';
import type { FrontDoorThreadData, FrontDoorThreadMessage } from './messages.js';
import { answerMetricsFromMain } from './metrics.js';

/** uWebSockets.js closes an idle HTTP connection after 10 s. */
const UWS_IDLE_CLOSE_MS = 11_000;

export async function runFrontDoorThread(data: FrontDoorThreadData, port: MessagePort): Promise<void> {
  const log = createLogger(data.config.log, { role: 'api', thread: data.thread });
  answerMetricsFromMain(port);
  const service = await startService(data.config, log);
  port.on('message', (message: FrontDoorThreadMessage) => {
    if (message.type !== 'stop') return;
    // uWebSockets.js aborts the whole process when a thread's loop is torn down with
    // connections still open, and it offers no way to close idle keep-alive connections: its
    // own idle timeout closes them. So the thread says it stopped only once that has passed,
    // and the process exit then ends it.
    service.stop(data.config.shutdownTimeoutMs).then(
      () => setTimeout(() => port.postMessage({ type: 'stopped' } satisfies FrontDoorThreadMessage), UWS_IDLE_CLOSE_MS),
      (err: unknown) => {
        log.error({ err }, 'front-door thread stop failed');
        port.postMessage({ type: 'stopped' } satisfies FrontDoorThreadMessage);
      },
    );
  });
  port.postMessage({ type: 'serving', port: service.port } satisfies FrontDoorThreadMessage);
}
