/**
 * `flash-coupon serve [--role all|api|consumer] [--<setting> value ...]`: runs the service
 * until SIGTERM/SIGINT, then drains it. A bad setting stops start-up with one line naming it.
 */
import { AppError } from '../errors.js';
import { loadConfig } from '../config/index.js';
import { startService } from '../app.js';
import { createLogger } from '../logger.js';
import { startFrontDoorThreads, unusedPort, type FrontDoorThreads } from '../threads/front-doors.js';

/** `--threads N` is the short name of `--front-door-threads N`. */
function withAliases(flags: readonly string[]): string[] {
  return flags.map((flag) => (flag === '--threads' ? '--front-door-threads' : flag.startsWith('--threads=') ? `--front-door-threads=${flag.slice('--threads='.length)}` : flag));
}

export async function serve(flags: readonly string[]): Promise<void> {
  // A UsageError or a CONFIG_INVALID AppError goes back to the dispatcher (exit 2 / 1).
  let config = loadConfig({ env: process.env, argv: withAliases(flags) });
  if (config.http.threads > 1 && config.role === 'consumer') {
    throw new AppError('CONFIG_INVALID', 'Invalid configuration: FRONT_DOOR_THREADS above 1 needs a role with a front door (all or api)');
  }
  // uWebSockets.js shares a port between threads (SO_REUSEPORT) only when it is named, not 0.
  if (config.http.threads > 1 && config.http.port === 0) config = { ...config, http: { ...config.http, port: await unusedPort(config.http.host) } };
  if (config.http.threads > 1 && config.ops?.port === 0) config = { ...config, ops: { ...config.ops, port: await unusedPort(config.ops.host) } };
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
  let threads: FrontDoorThreads | undefined;
  try {
    service = await startService(config, log);
    if (config.http.threads > 1) threads = await startFrontDoorThreads(config, { port: service.port, opsPort: service.opsPort }, log);
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
    const running = service;
    // The drain gives up waiting at the deadline; this is the backstop should a close hang.
    setTimeout(() => {
      log.error({ left: running.progress() }, 'shutdown deadline passed: exiting with the drain unfinished');
      log.flush();
      process.exit(1);
    }, config.shutdownTimeoutMs + 2000).unref();
    Promise.all([threads?.stop(), running.stop(config.shutdownTimeoutMs)]).then(
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
