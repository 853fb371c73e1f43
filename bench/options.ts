/**
 * The benchmark's own configuration, parsed from argv in this one place. Anything after a
 * lone `--` is passed to the service it starts (e.g. `-- --redis-auto-pipelining false`).
 */
import { UsageError } from '../src/config/args.js';
import type { PartitionKey, QueueKind } from '../src/config/index.js';
import { choice, COMMON_FLAGS, integer, parseCommand, QUEUES, repeated, STRING, stores, SWITCH, targets } from './flags.js';
import { isScenarioName, SCENARIOS, type Scenario, type ScenarioName, type ScenarioSizes } from './scenarios.js';

export type Mode = 'run' | 'compare' | 'sweep' | 'drain';
export type Queue = QueueKind;

export interface BenchOptions {
  readonly mode: Mode;
  /** One scenario for run/compare; the sweep's list. */
  readonly scenarios: readonly Scenario[];
  readonly queue: Queue;
  readonly concurrency: number | undefined;
  /** One value for run/compare (undefined: the service default); the sweep's lists. */
  readonly partitions: readonly number[];
  readonly threads: readonly number[];
  /** The scenarios at their small --quick sizes (and, for --sweep, fewer settings). */
  readonly quick: boolean;
  /** The Kafka message key of the service started (undefined: the service default, couponId). */
  readonly partitionKey: PartitionKey | undefined;
  /** Read every process's CPU time from /proc over the run. */
  readonly cpu: boolean;
  /** USER_AUTH=jwt: tokens signed with this HS256 secret for every user. */
  readonly jwtSecret: string | undefined;
  readonly jsonFile: string | undefined;
  /** Running front doors to load instead of starting a service (empty: start one); connections are spread over them. */
  readonly urls: readonly string[];
  readonly adminToken: string | undefined;
  readonly mysqlUrl: string;
  readonly redisUrl: string;
  /** Given only when the user named brokers; the service then uses exactly these. */
  readonly kafkaBrokers: string | undefined;
  readonly phase2TimeoutMs: number | undefined;
  /** Requests sent to a separate coupon before the measured run (0: a cold service). */
  readonly warmup: number;
  readonly keepData: boolean;
  /** Times the scenario is run (each with its own service); the table adds their medians. */
  readonly runs: number;
  readonly serviceArgs: readonly string[];
  readonly help: boolean;
}

/** Requests to a throw-away coupon before a measured run (--warmup). */
export const DEFAULT_WARMUP = 2000;

export const USAGE = `usage: npm run bench -- [options] [-- service flags]
  --scenario s1|s2|s3       S1: 5,000 users, stock 500 (default); S2: 1,000,000 requests, 200,000 users, stock 100,000;
                            S3: 2,000,000 requests, 200,000 users, 200 coupons of 500, Zipf-like popularity
  --quick                   the scenario at a small size (S3: 20,000 requests, 5,000 users, 20 coupons of 50)
  --queue kafka|redis       queue mode of the service started (default kafka)
  --concurrency N           connections of the load generator (default 100)
  --partitions P            Kafka partitions of the run's fresh topic (sweep: list, default 1,3,6)
  --threads T               batch writer worker threads (sweep: list, default 1,2,3,6)
  --requests N --users N --stock N --coupons N   override the scenario's sizes (stock is per coupon)
  --partition-key couponId|userId   Kafka message key of the service started (userId spreads one hot coupon)
  --cpu                     CPU us per request of the service's threads, Redis, Kafka, MariaDB and the load generator (Linux /proc)
  --json FILE               result file (default bench/results/<scenario>-<queue>-<timestamp>.json)
  --url URL --admin-token T target a running service instead of starting one; repeat --url for several front doors
  --mysql-url, --redis-url, --kafka-brokers   where the stores are (default: the service defaults)
  --phase2-timeout-ms MS    give up waiting for the rows after MS (S1 60 s, S2 300 s)
  --warmup N                requests to a throw-away coupon first, so JIT and connections are warm (default 2000; 0: cold)
  --keep-data               leave the run's rows, Redis keys and topic in place
  --jwt-secret S            the service verifies a Bearer token per request (USER_AUTH=jwt, HS256 with S, 32+ characters); tokens are signed before the clock starts
  --runs N                  run the scenario N times, each with a fresh service, and add the medians (default 1)
  --compare                 Kafka mode and Redis-list mode, one after the other, side by side
  --sweep [--scenarios s1,s2,s3] [--quick]   partitions x threads on each scenario, plus bench/results/sweep.svg
  --drain                   what storing a row costs: an api-only service admits every request (distinct users, stock
                            to spare) into a fresh topic, then a consumer-only service stores that backlog; prints rows/s
                            and CPU us per row; --partitions and --threads take lists, --runs repeats each setting
Each run also writes a latency histogram (SVG) next to its JSON.`;

const FLAGS = {
  ...COMMON_FLAGS,
  scenario: STRING, scenarios: STRING, queue: STRING, concurrency: STRING, partitions: STRING, threads: STRING,
  requests: STRING, users: STRING, stock: STRING, coupons: STRING, json: STRING, 'admin-token': STRING,
  'phase2-timeout-ms': STRING, warmup: STRING, runs: STRING, compare: SWITCH, sweep: SWITCH, quick: SWITCH,
  'partition-key': STRING, cpu: SWITCH, 'jwt-secret': STRING, drain: SWITCH,
} as const;

const PARTITION_KEYS = ['couponId', 'userId'] as const satisfies readonly PartitionKey[];

function intList(flag: string, raw: string | undefined, fallback: number[], allowList: boolean): number[] {
  if (raw === undefined) return fallback;
  const items = raw.split(',');
  if (items.length > 1 && !allowList) throw new UsageError(`${flag} takes one number here (lists are for --sweep and --drain)`);
  return items.map((item) => integer(flag, item.trim(), 0, 1, 64));
}

function scenarioOf(raw: string): ScenarioName {
  if (!isScenarioName(raw)) throw new UsageError(`unknown scenario "${raw}" (expected ${Object.keys(SCENARIOS).join(' or ')})`);
  return raw;
}

export function parseOptions(argv: readonly string[]): BenchOptions {
  const { values: urlValues, rest: others } = repeated(argv, 'url');
  const { values: flags, rest: serviceArgs } = parseCommand(others, FLAGS);
  if ([flags.compare, flags.sweep, flags.drain].filter((f) => f === true).length > 1) throw new UsageError('--compare, --sweep and --drain cannot be combined');
  const mode: Mode = flags.compare === true ? 'compare' : flags.sweep === true ? 'sweep' : flags.drain === true ? 'drain' : 'run';
  if (mode !== 'sweep' && flags.scenarios !== undefined) throw new UsageError('--scenarios is for --sweep; use --scenario');
  if (mode === 'sweep' && flags.scenario !== undefined) throw new UsageError('--sweep takes --scenarios s1,s2');

  const queue = choice('--queue', flags.queue, 'kafka', QUEUES);
  if (mode === 'compare' && flags.queue !== undefined) throw new UsageError('--compare runs both queues; drop --queue');

  const names = mode === 'sweep' ? (flags.scenarios ?? 's1,s2').split(',').map((n) => scenarioOf(n.trim())) : [scenarioOf(flags.scenario ?? 's1')];
  const quick = flags.quick === true;
  const sizes: Partial<Record<keyof ScenarioSizes, number>> = {};
  for (const key of ['requests', 'users', 'stock', 'coupons'] as const) {
    const raw = flags[key];
    if (raw !== undefined) sizes[key] = integer(`--${key}`, raw, 0, 1, key === 'coupons' ? 10_000 : 100_000_000);
  }
  const scenarios = [...new Set(names)].map((name) => {
    const base = SCENARIOS[name];
    return { ...base, ...(quick ? base.quick : {}), ...sizes };
  });

  const urls = targets(urlValues, flags['admin-token'], serviceArgs, 'bench');
  if (urls.length > 0 && mode !== 'run') throw new UsageError('--url runs one scenario against running front doors; --compare, --sweep and --drain start their own');
  const partitionKey = flags['partition-key'] === undefined ? undefined : choice('--partition-key', flags['partition-key'], 'couponId', PARTITION_KEYS);
  if (partitionKey !== undefined && (urls.length > 0 || queue === 'redis' || mode === 'compare')) {
    throw new UsageError('--partition-key sets the Kafka key of a service the bench starts in kafka mode');
  }
  const sweep = mode === 'sweep';
  const lists = sweep || mode === 'drain';
  const partitions = intList('--partitions', flags.partitions, sweep ? (quick ? [1, 3] : [1, 3, 6]) : [], lists);
  const threads = intList('--threads', flags.threads, sweep ? (quick ? [1, 3] : [1, 2, 3, 6]) : [], lists);
  if (lists && queue === 'redis') throw new UsageError(`--${mode} varies Kafka partitions; it runs in kafka mode`);

  const where = stores(flags);
  const concurrency = flags.concurrency === undefined ? undefined : integer('--concurrency', flags.concurrency, 0, 1, 10_000);
  const timeout = flags['phase2-timeout-ms'];
  const runs = integer('--runs', flags.runs, 1, 1, 50);
  if (runs > 1 && mode !== 'run' && mode !== 'drain') throw new UsageError('--runs repeats one scenario (or each --drain setting); --compare and --sweep run once per setting');
  return {
    mode,
    scenarios,
    queue,
    concurrency,
    partitions,
    threads,
    quick,
    partitionKey,
    cpu: flags.cpu === true,
    jwtSecret: flags['jwt-secret'],
    jsonFile: flags.json,
    urls,
    adminToken: flags['admin-token'],
    ...where,
    phase2TimeoutMs: timeout === undefined ? undefined : integer('--phase2-timeout-ms', timeout, 0, 1, 3_600_000),
    warmup: integer('--warmup', flags.warmup, DEFAULT_WARMUP, 0, 1_000_000),
    keepData: flags['keep-data'] === true,
    runs,
    serviceArgs,
    help: flags.help === true,
  };
}
