/**
 * `npm run bench:bare`: the service against the bare loops (bench/bare/loop.ts) under the
 * same wrk load, in pairs whose order alternates, each target started fresh and warmed up
 * first. Three cases, as issue 17 measures them:
 *
 *   refusals        a coupon of stock 1: the service (`--role all`) against the bare gate loop
 *   admissions-api  stock past the load: `--role api` against the bare hand-off loop
 *   admissions-all  the same with `--role all` (consumer and writers on the same cores)
 *
 * Each run's answers are checked (admissions: every answer 2xx; refusals: none), and a run
 * that fails its check is reported and left out of the ratio.
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
import type { CpuReport } from '../cpu.js';
import { deleteKafkaRun, deleteRedisKeys } from '../cleanup.js';
import { BenchDb } from '../db.js';
import { choice, integer, parseCommand, repeated, stores, STRING, SWITCH } from '../flags.js';
import { columns, median } from '../report.js';
import { stamp, writeFile } from '../results.js';
import { brokersOf, RESULTS_DIR, say } from '../run.js';
import { freePort, startService, type ServiceHandle } from '../service.js';
import { bareKeys } from './keys.js';
import { runWrk, type WrkResult } from './wrk.js';

export const CASES = ['refusals', 'admissions-api', 'admissions-all'] as const;
export type Case = (typeof CASES)[number];

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
  readonly redisUrl: string;
  readonly mysqlUrl: string;
  /** As named on the command line (undefined: the service's default), and as resolved. */
  readonly kafkaBrokers: string | undefined;
  readonly brokers: readonly string[];
  /** Read each measured run's CPU from /proc (the load generator's row is this process, not wrk). */
  readonly cpu: boolean;
}

interface Target {
  readonly url: string;
  readonly pid: number | undefined;
  readonly path: string;
  stop(): Promise<void>;
}

export interface BareRun {
  readonly case: Case;
  readonly pair: number;
  readonly target: 'bare' | 'service';
  readonly result: WrkResult | undefined;
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
  'mysql-url': STRING,
  'redis-url': STRING,
  'kafka-brokers': STRING,
  cpu: SWITCH,
} as const satisfies FlagSpecs;

/** The command line, read and checked like the other bench commands' (bench/flags.ts); `--case` may be given several times. */
export function settingsOf(argv: readonly string[]): Settings {
  const { values: caseValues, rest } = repeated(argv, 'case');
  const { values } = parseCommand(rest, FLAGS);
  const where = stores(values);
  return {
    cases: caseValues.length === 0 ? [...CASES] : caseValues.map((raw) => choice('--case', raw, CASES[0], CASES)),
    pairs: integer('--pairs', values.pairs, 3, 1, 100),
    seconds: integer('--seconds', values.seconds, 6, 1, 3600),
    warmupSeconds: integer('--warmup', values.warmup, 2, 1, 600),
    connections: integer('--connections', values.connections, 128, 1, 100_000),
    wrkThreads: integer('--wrk-threads', values['wrk-threads'], 1, 1, 256),
    redisUrl: where.redisUrl,
    mysqlUrl: where.mysqlUrl,
    kafkaBrokers: where.kafkaBrokers,
    brokers: brokersOf(where),
    cpu: values.cpu === true,
  };
}

const runTag = (): string => `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;

async function startBare(settings: Settings, handoff: boolean, stock: number): Promise<Target> {
  const tag = runTag();
  const couponId = String(1_000_000_000 + Math.floor(Math.random() * 1_000_000));
  const topic = `bench-bare-${tag}`;
  const redis = new Redis(settings.redisUrl);
  const [meta, users] = bareKeys(couponId);
  await redis.hset(meta, 'total', stock, 'admitted', 0);
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
    path: `/api/coupons/${couponId}/issue`,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      await redis.del(meta, users);
      redis.disconnect();
      if (handoff) await deleteKafkaRun(settings.brokers, topic, 'none');
    },
  };
}

async function startServiceTarget(settings: Settings, role: 'all' | 'api', stock: number): Promise<Target> {
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
  const couponId = await createCoupon(service.url, service.adminToken, 'bench bare comparison', stock);
  return {
    url: service.url,
    pid: service.pid,
    path: `/api/coupons/${couponId}/issue`,
    async stop() {
      await service.stop();
      const db = BenchDb.open(settings.mysqlUrl);
      await db.deleteCoupons([couponId]).finally(() => db.close());
      await deleteRedisKeys(settings.redisUrl, [couponId], service.topic);
      if (service.topic !== undefined && service.groupId !== undefined) await deleteKafkaRun(settings.brokers, service.topic, service.groupId);
    },
  };
}

/** Why a run's answers are not what its case must give, or undefined. */
export function invalidAnswers(kind: Case, result: WrkResult): string | undefined {
  if (result.socketErrors > 0) return `${result.socketErrors} socket errors`;
  if (kind === 'refusals') return result.non2xx === result.requests ? undefined : `${result.requests - result.non2xx} of ${result.requests} answers were 2xx, all should be refusals`;
  return result.non2xx === 0 ? undefined : `${result.non2xx} of ${result.requests} answers were not 2xx, all should be admissions`;
}

async function measure(settings: Settings, kind: Case, pair: number, target: 'bare' | 'service'): Promise<BareRun> {
  const stock = kind === 'refusals' ? 1 : LARGE_STOCK;
  let started: Target | undefined;
  try {
    started =
      target === 'bare' ? await startBare(settings, kind !== 'refusals', stock) : await startServiceTarget(settings, kind === 'admissions-api' ? 'api' : 'all', stock);
    const load = { url: started.url, path: started.path, connections: settings.connections, threads: settings.wrkThreads };
    // The warm-up takes the one admission of a stock-1 coupon, so the measured run is refusals only.
    await runWrk({ ...load, tag: `w${runTag()}`, seconds: settings.warmupSeconds });
    await sleep(500);
    const probe = settings.cpu
      ? CpuProbe.locate({ servicePids: started.pid === undefined ? [] : [started.pid], serviceUrls: [], redisUrl: settings.redisUrl, mysqlUrl: settings.mysqlUrl, kafkaBrokers: settings.brokers })
      : undefined;
    await probe?.start();
    const result = await runWrk({ ...load, tag: `m${runTag()}`, seconds: settings.seconds });
    const cpu = probe?.stop(result.requests);
    return { case: kind, pair, target, result, cpu, invalid: invalidAnswers(kind, result) };
  } catch (err) {
    return { case: kind, pair, target, result: undefined, cpu: undefined, invalid: (err as Error).message };
  } finally {
    await started?.stop().catch((err: unknown) => say(`clean-up failed: ${(err as Error).message}`));
  }
}


/** One row per pair and case: both targets' requests/s and p99, and the ratio service/bare. */
export function bareTable(runs: readonly BareRun[]): string {
  const header = ['case', 'pair', 'bare req/s', 'service req/s', 'ratio', 'bare p99 ms', 'service p99 ms'];
  const rows: string[][] = [];
  const ratios = new Map<Case, number[]>();
  for (const kind of CASES) {
    const pairs = [...new Set(runs.filter((run) => run.case === kind).map((run) => run.pair))];
    for (const pair of pairs) {
      const of = (target: BareRun['target']): BareRun | undefined => runs.find((run) => run.case === kind && run.pair === pair && run.target === target);
      const bare = of('bare');
      const service = of('service');
      const valid = (run: BareRun | undefined): WrkResult | undefined => (run?.invalid === undefined ? run?.result : undefined);
      const b = valid(bare);
      const s = valid(service);
      const ratio = b !== undefined && s !== undefined ? s.requestsPerSec / b.requestsPerSec : undefined;
      if (ratio !== undefined) ratios.set(kind, [...(ratios.get(kind) ?? []), ratio]);
      const cell = (result: WrkResult | undefined, field: 'requestsPerSec' | 'p99Ms'): string => (result === undefined ? 'invalid' : result[field].toFixed(field === 'p99Ms' ? 2 : 0));
      rows.push([kind, String(pair), cell(b, 'requestsPerSec'), cell(s, 'requestsPerSec'), ratio === undefined ? '-' : ratio.toFixed(2), cell(b, 'p99Ms'), cell(s, 'p99Ms')]);
    }
    const found = ratios.get(kind);
    if (found !== undefined) rows.push([kind, 'median', '', '', median(found).toFixed(2), '', '']);
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

async function main(): Promise<void> {
  const settings = settingsOf(process.argv.slice(2));
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
}

if (process.argv[1]?.endsWith(join('bare', 'compare.js'))) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench:bare: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
