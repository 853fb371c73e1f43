/**
 * The benchmark's own configuration, parsed from argv in this one place. Anything after a
 * lone `--` is passed to the service it starts (e.g. `-- --redis-auto-pipelining false`).
 */
import { loadConfig } from '../src/config/index.js';
import { isScenarioName, SCENARIOS, type Scenario, type ScenarioName } from './scenarios.js';

export type Mode = 'run' | 'compare' | 'sweep';
export type Queue = 'kafka' | 'redis';

export interface BenchOptions {
  readonly mode: Mode;
  /** One scenario for run/compare; the sweep's list. */
  readonly scenarios: readonly Scenario[];
  readonly queue: Queue;
  readonly concurrency: number | undefined;
  /** One value for run/compare (undefined: the service default); the sweep's lists. */
  readonly partitions: readonly number[];
  readonly threads: readonly number[];
  readonly quick: boolean;
  readonly jsonFile: string | undefined;
  /** A running service to target instead of starting one. */
  readonly url: string | undefined;
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

export class UsageError extends Error {}

export const USAGE = `usage: npm run bench -- [options] [-- service flags]
  --scenario s1|s2          S1: 5,000 users, stock 500 (default); S2: 1,000,000 requests, 200,000 users, stock 100,000
  --queue kafka|redis       queue mode of the service started (default kafka)
  --concurrency N           connections of the load generator (default 100)
  --partitions P            Kafka partitions of the run's fresh topic (sweep: list, default 1,3,6)
  --threads T               batch writer worker threads (sweep: list, default 1,2,3,6)
  --requests N --users N --stock N   override the scenario's sizes (smoke runs)
  --json FILE               result file (default bench/results/<scenario>-<queue>-<timestamp>.json)
  --url URL --admin-token T target a running service instead of starting one
  --mysql-url, --redis-url, --kafka-brokers   where the stores are (default: the service defaults)
  --phase2-timeout-ms MS    give up waiting for the rows after MS (S1 60 s, S2 300 s)
  --warmup N                requests to a throw-away coupon first, so JIT and connections are warm (default 2000; 0: cold)
  --keep-data               leave the run's rows, Redis keys and topic in place
  --runs N                  run the scenario N times, each with a fresh service, and add the medians (default 1)
  --compare                 Kafka mode and Redis-list mode, one after the other, side by side
  --sweep [--scenarios s1,s2] [--quick]   partitions x threads on each scenario, plus bench/results/sweep.svg`;

const VALUE_FLAGS = new Set([
  '--scenario', '--scenarios', '--queue', '--concurrency', '--partitions', '--threads', '--requests', '--users', '--stock',
  '--json', '--url', '--admin-token', '--mysql-url', '--redis-url', '--kafka-brokers', '--phase2-timeout-ms', '--warmup', '--runs',
]);
const SWITCHES = new Set(['--compare', '--sweep', '--quick', '--keep-data', '--help', '-h']);

function splitArgs(argv: readonly string[]): { flags: Map<string, string>; switches: Set<string>; serviceArgs: string[] } {
  const flags = new Map<string, string>();
  const switches = new Set<string>();
  const end = argv.indexOf('--');
  const own = end === -1 ? argv : argv.slice(0, end);
  for (let i = 0; i < own.length; i++) {
    const arg = own[i] as string;
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    if (SWITCHES.has(flag) && eq === -1) {
      switches.add(flag);
      continue;
    }
    if (!VALUE_FLAGS.has(flag)) throw new UsageError(`unknown option ${flag}`);
    const value = eq === -1 ? own[++i] : arg.slice(eq + 1);
    if (value === undefined || value === '' || (eq === -1 && value.startsWith('--'))) throw new UsageError(`${flag} needs a value`);
    if (flags.has(flag)) throw new UsageError(`${flag} given twice`);
    flags.set(flag, value);
  }
  return { flags, switches, serviceArgs: end === -1 ? [] : argv.slice(end + 1) };
}

function positiveInt(flag: string, raw: string, max: number): number {
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) throw new UsageError(`${flag} must be an integer from 1 to ${max} (got "${raw}")`);
  return Number(raw);
}

function intList(flag: string, raw: string | undefined, fallback: number[], allowList: boolean): number[] {
  if (raw === undefined) return fallback;
  const items = raw.split(',');
  if (items.length > 1 && !allowList) throw new UsageError(`${flag} takes one number here (lists are for --sweep)`);
  return items.map((item) => positiveInt(flag, item.trim(), 64));
}

function scenarioOf(raw: string): ScenarioName {
  if (!isScenarioName(raw)) throw new UsageError(`unknown scenario "${raw}" (expected ${Object.keys(SCENARIOS).join(' or ')})`);
  return raw;
}

/** Validates a store URL with the service's own rules, so both agree on it. */
function checkedStoreUrl(flag: string, raw: string | undefined, key: 'MYSQL_URL' | 'REDIS_URL' | 'KAFKA_BROKERS'): void {
  if (raw === undefined) return;
  try {
    loadConfig({ env: { [key]: raw } });
  } catch (err) {
    throw new UsageError(`${flag}: ${(err as Error).message.replace(/^Invalid configuration: /, '')}`);
  }
}

export function parseOptions(argv: readonly string[]): BenchOptions {
  const { flags, switches, serviceArgs } = splitArgs(argv);
  const modes = (['--compare', '--sweep'] as const).filter((flag) => switches.has(flag));
  if (modes.length > 1) throw new UsageError('--compare and --sweep cannot be combined');
  const mode: Mode = modes[0] === '--compare' ? 'compare' : modes[0] === '--sweep' ? 'sweep' : 'run';
  if (mode !== 'sweep' && flags.has('--scenarios')) throw new UsageError('--scenarios is for --sweep; use --scenario');
  if (mode === 'sweep' && flags.has('--scenario')) throw new UsageError('--sweep takes --scenarios s1,s2');
  if (mode !== 'sweep' && switches.has('--quick')) throw new UsageError('--quick is for --sweep');

  const queueRaw = flags.get('--queue') ?? 'kafka';
  if (queueRaw !== 'kafka' && queueRaw !== 'redis') throw new UsageError(`--queue must be kafka or redis (got "${queueRaw}")`);
  if (mode === 'compare' && flags.has('--queue')) throw new UsageError('--compare runs both queues; drop --queue');

  const names = mode === 'sweep' ? (flags.get('--scenarios') ?? 's1,s2').split(',').map((n) => scenarioOf(n.trim())) : [scenarioOf(flags.get('--scenario') ?? 's1')];
  const sizes: Partial<Record<'requests' | 'users' | 'stock', number>> = {};
  for (const key of ['requests', 'users', 'stock'] as const) {
    const raw = flags.get(`--${key}`);
    if (raw !== undefined) sizes[key] = positiveInt(`--${key}`, raw, 100_000_000);
  }
  const scenarios = [...new Set(names)].map((name) => ({ ...SCENARIOS[name], ...sizes }));

  const url = flags.get('--url');
  if (url !== undefined) {
    if (!/^https?:\/\/[^/]+/.test(url)) throw new UsageError(`--url must be http(s)://host:port (got "${url}")`);
    if (!flags.has('--admin-token')) throw new UsageError('--url needs --admin-token (the running service\'s ADMIN_TOKEN)');
    if (mode !== 'run') throw new UsageError('--url runs one scenario against one service; --compare and --sweep start their own');
    if (serviceArgs.length > 0) throw new UsageError('flags after -- go to a service the bench starts; with --url there is none');
  }
  const quick = switches.has('--quick');
  const sweep = mode === 'sweep';
  const partitions = intList('--partitions', flags.get('--partitions'), sweep ? (quick ? [1, 3] : [1, 3, 6]) : [], sweep);
  const threads = intList('--threads', flags.get('--threads'), sweep ? (quick ? [1, 3] : [1, 2, 3, 6]) : [], sweep);
  if (sweep && flags.get('--queue') === 'redis') throw new UsageError('--sweep varies Kafka partitions; it runs in kafka mode');

  checkedStoreUrl('--mysql-url', flags.get('--mysql-url'), 'MYSQL_URL');
  checkedStoreUrl('--redis-url', flags.get('--redis-url'), 'REDIS_URL');
  checkedStoreUrl('--kafka-brokers', flags.get('--kafka-brokers'), 'KAFKA_BROKERS');
  const defaults = loadConfig({ env: {} });
  const concurrency = flags.has('--concurrency') ? positiveInt('--concurrency', flags.get('--concurrency') as string, 10_000) : undefined;
  const timeout = flags.get('--phase2-timeout-ms');
  const runs = flags.has('--runs') ? positiveInt('--runs', flags.get('--runs') as string, 50) : 1;
  if (runs > 1 && mode !== 'run') throw new UsageError('--runs repeats one scenario; --compare and --sweep run once per setting');
  const warmup = flags.get('--warmup') ?? '2000';
  if (!/^\d+$/.test(warmup) || Number(warmup) > 1_000_000) throw new UsageError(`--warmup must be an integer from 0 to 1000000 (got "${warmup}")`);
  return {
    mode,
    scenarios,
    queue: queueRaw,
    concurrency,
    partitions,
    threads,
    quick,
    jsonFile: flags.get('--json'),
    url: url?.replace(/\/+$/, ''),
    adminToken: flags.get('--admin-token'),
    mysqlUrl: flags.get('--mysql-url') ?? defaults.mysql.url,
    redisUrl: flags.get('--redis-url') ?? defaults.redis.url,
    kafkaBrokers: flags.get('--kafka-brokers'),
    phase2TimeoutMs: timeout === undefined ? undefined : positiveInt('--phase2-timeout-ms', timeout, 3_600_000),
    warmup: Number(warmup),
    keepData: switches.has('--keep-data'),
    runs,
    serviceArgs,
    help: switches.has('--help') || switches.has('-h'),
  };
}
