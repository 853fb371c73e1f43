/**
 * `npm run bench:bare`: the service against the bare loops (bench/bare/loop.ts) under the
 * same load, in pairs whose order alternates, each target started fresh and warmed up
 * first. Three cases under wrk, as issue 17 measures them:
 *
 *   refusals        a coupon of stock 1: the service (`--role all`) against the bare gate loop
 *   admissions-api  stock past the load: `--role api` against the bare hand-off loop
 *   admissions-all  the same with `--role all` (consumer and writers on the same cores)
 *
 * and two under the bench's own load (autocannon, bench/bare/scenario.ts):
 *
 *   s1, s2          the scenario: the service (`--role all`) against the bare gate loop
 *
 * Each run's answers are checked (admissions: every answer 2xx; refusals: none; scenarios:
 * exactly the stock admitted, the rest refused), and a run that fails its check is reported
 * and left out of the ratio.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import kafkajs from 'kafkajs';
import type { FlagSpecs } from '../../src/config/args.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { createCoupon } from '../api.js';
import { CpuProbe } from '../cpu-probe.js';
import { runCommand } from '../entry.js';
import type { CpuReport } from '../cpu.js';
import { deleteKafkaRun, deleteRedisKeys } from '../cleanup.js';
import { BenchDb } from '../db.js';
import { choice, integer, parseCommand, repeated, stores, STRING, SWITCH } from '../flags.js';
import { columns, median } from '../report.js';
import { stamp, writeFile } from '../results.js';
import { DEFAULT_WARMUP } from '../options.js';
import { brokersOf, RESULTS_DIR, say, waitForWarmUpRows } from '../run.js';
import { SCENARIOS, warmUpScenario } from '../scenarios.js';
import { freePort, startService, type ServiceHandle } from '../service.js';
import { runLoad } from '../load.js';
import { bareKeys } from './keys.js';
import { figuresOf, invalidScenarioAnswers, SCENARIO_CASES, type ScenarioCase, type ScenarioFigures } from './scenario.js';
import { runWrk, type WrkResult } from './wrk.js';

const WRK_CASES = ['refusals', 'admissions-api', 'admissions-all'] as const;
type WrkCase = (typeof WRK_CASES)[number];
export const CASES = [...WRK_CASES, ...SCENARIO_CASES] as const;
export type Case = WrkCase | ScenarioCase;
const isScenarioCase = (kind: Case): kind is ScenarioCase => (SCENARIO_CASES as readonly string[]).includes(kind);

/** Stock of the admissions cases: more than any run here can admit. */
const LARGE_STOCK = 10_000_000;
const BARE_PARTITIONS = 3;

interface Settings {
  readonly cases: readonly Case[];
  readonly pairs: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly connections: number;
  readonly wrkThreads: number;
  /** The scenario cases' connections (autocannon's), as `npm run bench --concurrency`. */
  readonly concurrency: number;
  readonly redisUrl: string;
  readonly mysqlUrl: string;
  /** As named on the command line (undefined: the service's default), and as resolved. */
  readonly kafkaBrokers: string | undefined;
  readonly brokers: readonly string[];
  /** Read each measured run's CPU from /proc (the load generator's row is this process, not wrk). */
  readonly cpu: boolean;
  readonly help: boolean;
}

export const BARE_USAGE = `usage: npm run bench:bare -- [options]
  --case C             refusals, admissions-api, admissions-all (under wrk), s1, s2 (the
                       scenario under the bench's own load); repeat for several (default: the
                       three wrk cases; a scenario only when named, S2 takes minutes a run)
  --pairs N            pairs per case, the order alternating (default 3)
  --seconds N          wrk: measured seconds per run (default 6)
  --warmup N           wrk: warm-up seconds per run (default 2)
  --connections N      wrk: connections (default 128)
  --wrk-threads N      wrk: threads (default 1)
  --concurrency N      scenarios: autocannon connections (default 100)
  --cpu                CPU microseconds per request of each process and thread group
  --mysql-url, --redis-url, --kafka-brokers   where the stores are (default: the service defaults)`;

/** A coupon on sale at a target. */
interface Sale {
  readonly couponId: number;
  readonly path: string;
}

interface Target {
  readonly url: string;
  readonly pid: number | undefined;
  /** Puts a coupon of this stock on sale; stop() removes it. */
  open(stock: number): Promise<Sale>;
  /** Waits until the target has done with a sale's admissions (the service: stored them). */
  settle(sale: Sale, admitted: number): Promise<void>;
  stop(): Promise<void>;
}

export interface BareRun {
  readonly case: Case;
  readonly pair: number;
  readonly target: 'bare' | 'service';
  /** wrk's summary, or the scenario's figures (bench/bare/scenario.ts). */
  readonly result: WrkResult | ScenarioFigures | undefined;
  readonly cpu: CpuReport | undefined;
  /** Why the run does not count (its answers were not the case's, or it failed). */
  readonly invalid: string | undefined;
}

const FLAGS = {
  pairs: STRING,
  seconds: STRING,
  warmup: STRING,
  connections: STRING,
  'wrk-threads': STRING,
  concurrency: STRING,
  'mysql-url': STRING,
  'redis-url': STRING,
  'kafka-brokers': STRING,
  cpu: SWITCH,
  help: { type: 'boolean', short: 'h' },
} as const satisfies FlagSpecs;

/** The command line, read and checked like the other bench commands' (bench/flags.ts); `--case` may be given several times. */
export function settingsOf(argv: readonly string[]): Settings {
  const { values: caseValues, rest } = repeated(argv, 'case');
  const { values } = parseCommand(rest, FLAGS);
  const where = stores(values);
  return {
    cases: caseValues.length === 0 ? [...WRK_CASES] : caseValues.map((raw) => choice('--case', raw, CASES[0], CASES)),
    pairs: integer('--pairs', values.pairs, 3, 1, 100),
    seconds: integer('--seconds', values.seconds, 6, 1, 3600),
    warmupSeconds: integer('--warmup', values.warmup, 2, 1, 600),
    connections: integer('--connections', values.connections, 128, 1, 100_000),
    wrkThreads: integer('--wrk-threads', values['wrk-threads'], 1, 1, 256),
    concurrency: integer('--concurrency', values.concurrency, 100, 1, 100_000),
    redisUrl: where.redisUrl,
    mysqlUrl: where.mysqlUrl,
    kafkaBrokers: where.kafkaBrokers,
    brokers: brokersOf(where),
    cpu: values.cpu === true,
    help: values.help === true,
  };
}

const runTag = (): string => `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;

const pathOf = (couponId: number): string => `/api/coupons/${couponId}/issue`;

async function startBare(settings: Settings, handoff: boolean): Promise<Target> {
  const topic = `bench-bare-${runTag()}`;
  const redis = new Redis(settings.redisUrl);
  const keys: string[] = [];
  if (handoff) {
    const kafka = new kafkajs.Kafka({ clientId: 'bench-bare', brokers: [...settings.brokers], logLevel: kafkajs.logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: BARE_PARTITIONS, replicationFactor: 1 }], waitForLeaders: true });
    await admin.disconnect();
  }
  const port = await freePort();
  const args = [join(PACKAGE_ROOT, 'dist', 'bench', 'bare', 'loop.js'), '--port', String(port), '--redis-url', settings.redisUrl, '--kafka-brokers', settings.brokers.join(',')];
  if (handoff) args.push('--handoff', '--topic', topic);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (data: Buffer) => {
      if (data.toString().includes('ready')) resolve();
    });
    void exited.then(() => reject(new Error('the bare loop exited before it was ready')));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid,
    async open(stock) {
      const couponId = 1_000_000_000 + Math.floor(Math.random() * 1_000_000);
      const [meta, users] = bareKeys(String(couponId));
      keys.push(meta, users);
      await redis.hset(meta, 'total', stock, 'admitted', 0);
      return { couponId, path: pathOf(couponId) };
    },
    async settle() {},
    async stop() {
      child.kill('SIGTERM');
      await exited;
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
      if (handoff) await deleteKafkaRun(settings.brokers, topic, 'none');
    },
  };
}

async function startServiceTarget(settings: Settings, role: 'all' | 'api'): Promise<Target> {
  const runId = `bare-${runTag()}`;
  const service: ServiceHandle = await startService({
    queue: 'kafka',
    partitions: undefined,
    threads: undefined,
    partitionKey: undefined,
    mysqlUrl: settings.mysqlUrl,
    redisUrl: settings.redisUrl,
    kafkaBrokers: settings.kafkaBrokers,
    extraArgs: ['--role', role],
    runId,
    logDir: RESULTS_DIR,
  });
  const couponIds: number[] = [];
  return {
    url: service.url,
    pid: service.pid,
    async open(stock) {
      const couponId = await createCoupon(service.url, service.adminToken, 'bench bare comparison', stock);
      couponIds.push(couponId);
      return { couponId, path: pathOf(couponId) };
    },
    async settle(sale, admitted) {
      const db = BenchDb.open(settings.mysqlUrl);
      await waitForWarmUpRows(db, sale.couponId, admitted).finally(() => db.close());
    },
    async stop() {
      await service.stop();
      const db = BenchDb.open(settings.mysqlUrl);
      await db.deleteCoupons(couponIds).finally(() => db.close());
      await deleteRedisKeys(settings.redisUrl, couponIds, service.topic);
      if (service.topic !== undefined && service.groupId !== undefined) await deleteKafkaRun(settings.brokers, service.topic, service.groupId);
    },
  };
}

/** Why a run's answers are not what its case must give, or undefined. */
export function invalidAnswers(kind: WrkCase, result: WrkResult): string | undefined {
  if (result.socketErrors > 0) return `${result.socketErrors} socket errors`;
  if (kind === 'refusals') return result.non2xx === result.requests ? undefined : `${result.requests - result.non2xx} of ${result.requests} answers were 2xx, all should be refusals`;
  return result.non2xx === 0 ? undefined : `${result.non2xx} of ${result.requests} answers were not 2xx, all should be admissions`;
}

/** wrk for a while against one coupon, after a warm-up on it. */
async function wrkLoad(settings: Settings, kind: WrkCase, started: Target, probe: CpuProbe | undefined): Promise<Pick<BareRun, 'result' | 'cpu' | 'invalid'>> {
  const sale = await started.open(kind === 'refusals' ? 1 : LARGE_STOCK);
  const load = { url: started.url, path: sale.path, connections: settings.connections, threads: settings.wrkThreads };
  // The warm-up takes the one admission of a stock-1 coupon, so the measured run is refusals only.
  await runWrk({ ...load, tag: `w${runTag()}`, seconds: settings.warmupSeconds });
  await sleep(500);
  await probe?.start();
  const result = await runWrk({ ...load, tag: `m${runTag()}`, seconds: settings.seconds });
  return { result, cpu: probe?.stop(result.requests), invalid: invalidAnswers(kind, result) };
}

/** The scenario as `npm run bench` fires it, after the bench's warm-up on a throw-away coupon. */
async function scenarioLoad(settings: Settings, kind: ScenarioCase, started: Target, probe: CpuProbe | undefined): Promise<Pick<BareRun, 'result' | 'cpu' | 'invalid'>> {
  const scenario = SCENARIOS[kind];
  const warm = warmUpScenario(scenario, DEFAULT_WARMUP);
  const warmSale = await started.open(warm.stock);
  const warmLoad = await runLoad({ urls: [started.url], couponIds: [warmSale.couponId], scenario: warm, concurrency: Math.min(settings.concurrency, warm.requests) });
  await started.settle(warmSale, warmLoad.statusCounts['202'] ?? 0);
  const sale = await started.open(scenario.stock);
  await sleep(500);
  await probe?.start();
  const load = await runLoad({ urls: [started.url], couponIds: [sale.couponId], scenario, concurrency: settings.concurrency });
  return { result: figuresOf(load), cpu: probe?.stop(load.responses), invalid: invalidScenarioAnswers(scenario, load) };
}

async function measure(settings: Settings, kind: Case, pair: number, target: 'bare' | 'service'): Promise<BareRun> {
  let started: Target | undefined;
  try {
    // Only the admissions cases hand off to Kafka: refusals and the scenarios are measured against the gate loop.
    started =
      target === 'bare' ? await startBare(settings, kind === 'admissions-api' || kind === 'admissions-all') : await startServiceTarget(settings, kind === 'admissions-api' ? 'api' : 'all');
    const probe = settings.cpu
      ? CpuProbe.locate({ servicePids: started.pid === undefined ? [] : [started.pid], serviceUrls: [], redisUrl: settings.redisUrl, mysqlUrl: settings.mysqlUrl, kafkaBrokers: settings.brokers })
      : undefined;
    const measured = isScenarioCase(kind) ? await scenarioLoad(settings, kind, started, probe) : await wrkLoad(settings, kind, started, probe);
    return { case: kind, pair, target, ...measured };
  } catch (err) {
    return { case: kind, pair, target, result: undefined, cpu: undefined, invalid: (err as Error).message };
  } finally {
    await started?.stop().catch((err: unknown) => say(`clean-up failed: ${(err as Error).message}`));
  }
}

/** One row per pair and case: both targets' requests/s and p99, and the ratio service/bare. */
export function bareTable(runs: readonly BareRun[]): string {
  const header = ['case', 'pair', 'bare req/s', 'service req/s', 'ratio', 'bare p99 ms', 'service p99 ms', 'bare phase 1 ms', 'service phase 1 ms'];
  const rows: string[][] = [];
  const ratios = new Map<Case, number[]>();
  for (const kind of CASES) {
    const pairs = [...new Set(runs.filter((run) => run.case === kind).map((run) => run.pair))];
    for (const pair of pairs) {
      const of = (target: BareRun['target']): BareRun | undefined => runs.find((run) => run.case === kind && run.pair === pair && run.target === target);
      const bare = of('bare');
      const service = of('service');
      const valid = (run: BareRun | undefined): BareRun['result'] => (run?.invalid === undefined ? run?.result : undefined);
      const b = valid(bare);
      const s = valid(service);
      const ratio = b !== undefined && s !== undefined ? s.requestsPerSec / b.requestsPerSec : undefined;
      if (ratio !== undefined) ratios.set(kind, [...(ratios.get(kind) ?? []), ratio]);
      const cell = (result: BareRun['result'], field: 'requestsPerSec' | 'p99Ms'): string => (result === undefined ? 'invalid' : result[field].toFixed(field === 'p99Ms' ? 2 : 0));
      // wrk runs for a fixed time, so only a scenario has a Phase 1 of its own.
      const phase1 = (result: BareRun['result']): string => (result === undefined ? 'invalid' : 'phase1Ms' in result ? result.phase1Ms.toFixed(1) : '-');
      rows.push([kind, String(pair), cell(b, 'requestsPerSec'), cell(s, 'requestsPerSec'), ratio === undefined ? '-' : ratio.toFixed(2), cell(b, 'p99Ms'), cell(s, 'p99Ms'), phase1(b), phase1(s)]);
    }
    const found = ratios.get(kind);
    if (found !== undefined) rows.push([kind, 'median', '', '', median(found).toFixed(2), '', '', '', '']);
  }
  return columns(header, rows);
}

/** Median CPU microseconds per request of each group, per case and target (valid runs only). */
export function bareCpuTable(runs: readonly BareRun[]): string {
  const keys = CASES.flatMap((kind) => (['bare', 'service'] as const).map((target) => ({ kind, target })));
  const present = keys.filter(({ kind, target }) => runs.some((run) => run.case === kind && run.target === target && run.cpu !== undefined && run.invalid === undefined));
  const groups = [...new Set(runs.flatMap((run) => run.cpu?.groups.map((group) => group.name) ?? []))];
  const body = groups.map((group) => [
    `cpu us/req ${group}`,
    ...present.map(({ kind, target }) => {
      const values = runs
        .filter((run) => run.case === kind && run.target === target && run.invalid === undefined)
        .map((run) => run.cpu?.groups.find((g) => g.name === group)?.usPerRequest)
        .filter((value): value is number => typeof value === 'number');
      return values.length === 0 ? '-' : median(values).toFixed(1);
    }),
  ]);
  return columns(['median of valid runs', ...present.map(({ kind, target }) => `${kind} ${target}`)], body);
}

async function main(settings: Settings): Promise<number> {
  const runs: BareRun[] = [];
  for (const kind of settings.cases) {
    for (let pair = 1; pair <= settings.pairs; pair++) {
      // Alternate which target goes first, so a drift over the sitting falls on both.
      const order: BareRun['target'][] = pair % 2 === 1 ? ['bare', 'service'] : ['service', 'bare'];
      for (const target of order) {
        say(`${kind} pair ${pair}: ${target}`);
        const run = await measure(settings, kind, pair, target);
        if (run.invalid !== undefined) say(`${kind} pair ${pair} ${target}: not counted: ${run.invalid}`);
        runs.push(run);
      }
    }
  }
  process.stdout.write(`${bareTable(runs)}\n`);
  if (settings.cpu) process.stdout.write(`\n${bareCpuTable(runs)}\n`);
  const file = writeFile(join(RESULTS_DIR, `bare-${stamp()}.json`), `${JSON.stringify({ settings, runs }, null, 2)}\n`);
  say(`wrote ${file}`);
  return 0;
}

if (process.argv[1]?.endsWith(join('bare', 'compare.js'))) runCommand('bench:bare', BARE_USAGE, settingsOf, main);
