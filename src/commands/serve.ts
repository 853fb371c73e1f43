/**
 * `flash-coupon serve [--role all|api|consumer] [--<setting> value ...]`: runs the service
 * until SIGTERM/SIGINT, then drains it. A bad setting stops start-up with one line naming it.
 */
import { loadConfig } from '../config/index.js';
import { startService } from '../app.js';
import { createLogger } from '../logger.js';

export const SERVE_USAGE = 'flash-coupon serve [--role all|api|consumer] [--port N] [--queue kafka|redis] ... (see README, Configuration)';

export async function serve(flags: readonly string[]): Promise<void> {
  // A UsageError or a CONFIG_INVALID AppError goes back to the dispatcher (exit 2 / 1).
  const config = loadConfig({ env: process.env, argv: flags });
  const log = createLogger(config.log, { role: config.role });
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception, exiting');
    log.flush();
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    log.error({ err }, 'unhandled rejection');
  });
  let service;
  try {
    service = await startService(config, log);
  } catch (err) {
    log.fatal({ err: (err as Error).message }, 'start-up failed');
    log.flush();
    process.stderr.write(`flash-coupon: start-up failed: ${(err as Error).message}\n`);
    process.exit(1);
  }
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) {
      log.warn({ signal }, 'second signal, exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal, deadlineMs: config.shutdownTimeoutMs }, 'shutting down: readiness 503, no new requests, answering those in flight, flushing the queue, finishing batches');
    // The drain gives up waiting at the deadline; this is the backstop should a close hang.
    setTimeout(() => {
      log.error({ left: service.progress() }, 'shutdown deadline passed: exiting with the drain unfinished');
      log.flush();
      process.exit(1);
    }, config.shutdownTimeoutMs + 2000).unref();
    service.stop(config.shutdownTimeoutMs).then(
      () => {
        log.info('stopped');
        log.flush();
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        log.flush();
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
