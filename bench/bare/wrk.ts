/**
 * Runs wrk (the load generator for the bare-loop comparison) with bench/bare/users.lua
 * and reads its summary. wrk is a C program, so on a two-core machine it leaves more of the
 * CPU to the process under test than autocannon does.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PACKAGE_ROOT } from '../../src/paths.js';

const run = promisify(execFile);
const USERS_SCRIPT = join(PACKAGE_ROOT, 'bench', 'bare', 'users.lua');

export interface WrkOptions {
  readonly url: string;
  readonly path: string;
  /** Makes the run's userIds its own. */
  readonly tag: string;
  readonly seconds: number;
  readonly connections: number;
  readonly threads: number;
}

export interface WrkResult {
  readonly requests: number;
  readonly requestsPerSec: number;
  /** Answers that were not 2xx (409 refusals, 503s). */
  readonly non2xx: number;
  readonly socketErrors: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

/** "850.00us", "4.12ms", "1.20s" in milliseconds. */
export function wrkDurationMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (match === null) throw new Error(`not a wrk duration: ${text}`);
  return Number(match[1]) * (UNIT_MS[match[2] as string] as number);
}

/** Reads wrk's `--latency` summary. */
export function parseWrk(output: string): WrkResult {
  const number = (pattern: RegExp, what: string): string => {
    const match = pattern.exec(output);
    if (match === null) throw new Error(`wrk printed no ${what}:\n${output}`);
    return match[1] as string;
  };
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  return {
    requests: Number(number(/(\d+) requests in /, 'request count')),
    requestsPerSec: Number(number(/Requests\/sec:\s+([\d.]+)/, 'requests/sec')),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0),
    socketErrors: errors === null ? 0 : errors.slice(1).reduce((sum, n) => sum + Number(n), 0),
    p50Ms: wrkDurationMs(number(/^\s+50%\s+(\S+)$/m, 'median')),
    p99Ms: wrkDurationMs(number(/^\s+99%\s+(\S+)$/m, '99th percentile')),
  };
}

export async function runWrk(options: WrkOptions): Promise<WrkResult> {
  const args = [
    '-t', String(options.threads), '-c', String(options.connections), '-d', `${options.seconds}s`,
    '--latency', '-s', USERS_SCRIPT, options.url, '--', options.path, options.tag,
  ];
  try {
    const { stdout } = await run('wrk', args, { maxBuffer: 1 << 20 });
    return parseWrk(stdout);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('wrk is not installed (Debian: apt-get install wrk); the bare-loop comparison needs it');
    throw err;
  }
}
