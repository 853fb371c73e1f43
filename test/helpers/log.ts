/**
 * A pino logger whose lines are kept in memory, parsed as JSON, for unit tests that check
 * what was logged (level, message, fields) without matching strings.
 */
import { pino, type Logger } from 'pino';

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export const LEVEL = { warn: 40, error: 50 } as const;

export function captureLog(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  // An object with write() is written to synchronously, one line per call.
  const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return { log, lines };
}
