/**
 * `npm run soak -- ...` options, parsed from argv in this one place. Anything after a lone
 * `--` is passed to the service the soak starts.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/index.js';
import type { Queue } from './options.js';

export interface SoakOptions {
  readonly durationSec: number;
  readonly intervalSec: number;
  readonly queue: Queue;
  readonly concurrency: number;
  readonly users: number;
  readonly stock: number;
  readonly couponSeconds: number;
  readonly openShare: number;
  /** Largest RSS growth (%) from the second fifth of the run to the last that still passes. */
  readonly thresholdPct: number;
  readonly rowsTimeoutSec: number;
  readonly url: string | undefined;
  readonly adminToken: string | undefined;
  readonly mysqlUrl: string;
  readonly redisUrl: string;
  readonly kafkaBrokers: string | undefined;
  readonly jsonFile: string | undefined;
  readonly svgFile: string | undefined;
  readonly keepData: boolean;
  readonly serviceArgs: readonly string[];
  readonly help: boolean;
}

export class SoakUsageError extends Error {}

export const SOAK_USAGE = `usage: npm run soak -- [options] [-- service flags]
  --duration S        seconds of load (default 300)
  --interval S        seconds between samples of /metrics and the row count (default 5)
  --queue kafka|redis queue mode of the service started (default kafka)
  --concurrency N     connections of the load generator (default 100)
  --users N           size of the user pool (default 200000)
  --stock N           totalQuantity of each coupon (default 100000)
  --coupon-seconds S  open a new coupon after S seconds even if the open one has not sold out (default 60)
  --open-share F      share of the requests sent to the open coupon, the rest to the last sold-out one (default 0.5)
  --threshold PCT     largest RSS growth from the second fifth of the run to the last that passes (default 10)
  --rows-timeout S    how long to wait for every 202 to be stored after the load (default 300)
  --url URL --admin-token T   soak a running service instead of starting one
  --mysql-url, --redis-url, --kafka-brokers   where the stores are (default: the service defaults)
  --json FILE --svg FILE      result files (default bench/results/soak-<timestamp>.json, bench/results/soak.svg)
  --keep-data         leave the run's rows, Redis keys and topic in place`;

const STRING = { type: 'string' } as const;

function number(flag: string, raw: string | undefined, fallback: number, min: number, max: number, integer = true): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new SoakUsageError(`--${flag} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max} (got "${raw}")`);
  }
  return value;
}

function storeUrl(flag: string, raw: string | undefined, key: 'MYSQL_URL' | 'REDIS_URL' | 'KAFKA_BROKERS'): void {
  if (raw === undefined) return;
  try {
    loadConfig({ env: { [key]: raw } });
  } catch (err) {
    throw new SoakUsageError(`--${flag}: ${(err as Error).message.replace(/^Invalid configuration: /, '')}`);
  }
}

export function parseSoakOptions(argv: readonly string[]): SoakOptions {
  const end = argv.indexOf('--');
  const own = end === -1 ? [...argv] : argv.slice(0, end);
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: own,
      strict: true,
      allowPositionals: false,
      options: {
        duration: STRING, interval: STRING, queue: STRING, concurrency: STRING, users: STRING, stock: STRING,
        'coupon-seconds': STRING, 'open-share': STRING, threshold: STRING, 'rows-timeout': STRING,
        url: STRING, 'admin-token': STRING, 'mysql-url': STRING, 'redis-url': STRING, 'kafka-brokers': STRING,
        json: STRING, svg: STRING, 'keep-data': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new SoakUsageError((err as Error).message);
  }
  const str = (name: string): string | undefined => values[name] as string | undefined;
  const queue = str('queue') ?? 'kafka';
  if (queue !== 'kafka' && queue !== 'redis') throw new SoakUsageError(`--queue must be kafka or redis (got "${queue}")`);
  const url = str('url');
  const serviceArgs = end === -1 ? [] : argv.slice(end + 1);
  if (url !== undefined) {
    if (!/^https?:\/\/[^/]+/.test(url)) throw new SoakUsageError(`--url must be http(s)://host:port (got "${url}")`);
    if (str('admin-token') === undefined) throw new SoakUsageError("--url needs --admin-token (the running service's ADMIN_TOKEN)");
    if (serviceArgs.length > 0) throw new SoakUsageError('flags after -- go to a service the soak starts; with --url there is none');
  }
  storeUrl('mysql-url', str('mysql-url'), 'MYSQL_URL');
  storeUrl('redis-url', str('redis-url'), 'REDIS_URL');
  storeUrl('kafka-brokers', str('kafka-brokers'), 'KAFKA_BROKERS');
  const defaults = loadConfig({ env: {} });
  const durationSec = number('duration', str('duration'), 300, 10, 86_400);
  const intervalSec = number('interval', str('interval'), 5, 1, 600);
  if (intervalSec * 2 > durationSec) throw new SoakUsageError('--interval must be at most half of --duration');
  return {
    durationSec,
    intervalSec,
    queue,
    concurrency: number('concurrency', str('concurrency'), 100, 1, 10_000),
    users: number('users', str('users'), 200_000, 1, 100_000_000),
    stock: number('stock', str('stock'), 100_000, 1, 100_000_000),
    couponSeconds: number('coupon-seconds', str('coupon-seconds'), 60, 1, 86_400),
    openShare: number('open-share', str('open-share'), 0.5, 0.01, 1, false),
    thresholdPct: number('threshold', str('threshold'), 10, 0, 1000, false),
    rowsTimeoutSec: number('rows-timeout', str('rows-timeout'), 300, 1, 86_400),
    url: url?.replace(/\/+$/, ''),
    adminToken: str('admin-token'),
    mysqlUrl: str('mysql-url') ?? defaults.mysql.url,
    redisUrl: str('redis-url') ?? defaults.redis.url,
    kafkaBrokers: str('kafka-brokers'),
    jsonFile: str('json'),
    svgFile: str('svg'),
    keepData: values['keep-data'] === true,
    serviceArgs,
    help: values['help'] === true,
  };
}
