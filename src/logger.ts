/**
 * One root pino logger per process (and one per worker thread); modules take a child
 * with `{ module }`. JSON by default, asynchronous destination; LOG_PRETTY=1 for people.
 */
import pino, { type Logger } from 'pino';
import type { Config } from './config/index.js';

export type { Logger };

/** `fd` 2 for commands whose stdout is their report. */
export function createLogger(log: Config['log'], bindings: Record<string, unknown> = {}, fd: 1 | 2 = 1): Logger {
  const options = { level: log.level, base: { pid: process.pid, ...bindings } };
  if (log.pretty) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true, destination: fd } } });
  }
  // Asynchronous writes keep logging off the request path; flushed on exit by pino.
  return pino(options, pino.destination({ dest: fd, sync: false }));
}
