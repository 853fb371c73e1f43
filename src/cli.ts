#!/usr/bin/env node
/**
 * `flash-coupon serve [--role all|api|consumer] [--<setting> value ...]`: one binary,
 * several roles. A bad setting stops start-up with one line naming it.
 */
import { UsageError } from './config/args.js';
import { loadConfig, type Config } from './config/index.js';
import { startService } from './app.js';
import { createLogger } from './logger.js';

const USAGE = 'usage: flash-coupon serve [--role all|api|consumer] [--port N] [--queue kafka|redis] ... (see README, Configuration)';

/** Exits 2 on a command line it cannot read (with the usage), 1 on a bad value (one line naming it). */
function configOf(argv: readonly string[]): Config {
  const [command, ...flags] = argv;
  if (command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  try {
    if (command !== 'serve') throw new UsageError(command === undefined ? 'no command' : `unknown command "${command}"`);
    return loadConfig({ env: process.env, argv: flags });
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`flash-coupon: ${err.message}\n${USAGE}\n`);
      process.exit(2);
    }
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const config = configOf(process.argv.slice(2));
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
    log.info({ signal }, 'shutting down: no new requests, flushing the queue, finishing batches');
    service.stop().then(
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

void main();
