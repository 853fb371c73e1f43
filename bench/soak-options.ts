/**
 * `npm run soak -- ...` options, parsed from argv in this one place. Anything after a lone
 * `--` is passed to the service the soak starts.
 */
import { UsageError } from '../src/config/args.js';
import { choice, COMMON_FLAGS, decimal, integer, parseCommand, QUEUES, STRING, stores, target } from './flags.js';
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

const FLAGS = {
  ...COMMON_FLAGS,
  duration: STRING, interval: STRING, queue: STRING, concurrency: STRING, users: STRING, stock: STRING,
  'coupon-seconds': STRING, 'open-share': STRING, threshold: STRING, 'rows-timeout': STRING,
  url: STRING, 'admin-token': STRING, json: STRING, svg: STRING,
} as const;

export function parseSoakOptions(argv: readonly string[]): SoakOptions {
  const { values, rest: serviceArgs } = parseCommand(argv, FLAGS);
  const queue = choice('--queue', values.queue, 'kafka', QUEUES);
  const url = target(values, serviceArgs, 'soak');
  const where = stores(values);
  const durationSec = integer('--duration', values.duration, 300, 10, 86_400);
  const intervalSec = integer('--interval', values.interval, 5, 1, 600);
  if (intervalSec * 2 > durationSec) throw new UsageError('--interval must be at most half of --duration');
  return {
    durationSec,
    intervalSec,
    queue,
    concurrency: integer('--concurrency', values.concurrency, 100, 1, 10_000),
    users: integer('--users', values.users, 200_000, 1, 100_000_000),
    stock: integer('--stock', values.stock, 100_000, 1, 100_000_000),
    couponSeconds: integer('--coupon-seconds', values['coupon-seconds'], 60, 1, 86_400),
    openShare: decimal('--open-share', values['open-share'], 0.5, 0.01, 1),
    thresholdPct: decimal('--threshold', values.threshold, 10, 0, 1000),
    rowsTimeoutSec: integer('--rows-timeout', values['rows-timeout'], 300, 1, 86_400),
    url,
    adminToken: values['admin-token'],
    ...where,
    jsonFile: values.json,
    svgFile: values.svg,
    keepData: values['keep-data'] === true,
    serviceArgs,
    help: values.help === true,
  };
}
