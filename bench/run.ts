/**
 * One benchmark run end to end: service up, coupons created, Phase 1 (load), Phase 2 (rows
 * in MySQL), facts, clean-up, service down; with --cpu, every process's CPU over Phases 1
 * and 2.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../src/config/index.js';
import { PACKAGE_ROOT } from '../src/paths.js';
import { couponCounts, createCoupon, createCoupons, type CouponCounts } from './api.js';
import { deleteKafkaRun, deleteRedisKeys } from './cleanup.js';
import { CpuProbe } from './cpu-probe.js';
import { histogramDelta, parseIssueHistograms, serverTime, type IssueHistograms } from './server-time.js';
import { BenchDb } from './db.js';
import { jwtServiceArgs, signTokens } from './jwt.js';
import { runLoad } from './load.js';
import type { BenchOptions, Queue } from './options.js';
import { summarize, label, type BenchResult, type RunSettings } from './report.js';
import { expectedAdmissions, userIdOf, warmUpScenario, type Scenario } from './scenarios.js';
import { externalService, startService, type ServiceHandle } from './service.js';

export const RESULTS_DIR = join(PACKAGE_ROOT, 'bench', 'results');

/** A result plus what identifies the run; this is what the JSON files hold. */
export interface RunRecord extends BenchResult {
  /** The first (most popular) coupon, and all of them. */
  readonly couponId: number;
  readonly couponIds: readonly number[];
  /** The front doors loaded. */
  readonly urls: readonly string[];
  readonly warmupRequests: number;
  readonly topic: string | null;
  /** The service's own GET /api/coupons/:id of the first coupon after Phase 2. */
  readonly serviceCounts: CouponCounts | null;
}

export interface RunPlan {
  readonly scenario: Scenario;
  readonly queue: Queue;
  readonly partitions: number | undefined;
  readonly threads: number | undefined;
  readonly partitionKey: 'couponId' | 'userId' | undefined;
}

/** Extra rows (an oversell) would arrive shortly after the expected ones: look again after this. */
const SETTLE_MS = 500;

export function say(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

export function brokersOf(options: Pick<BenchOptions, 'kafkaBrokers'>): readonly string[] {
  return loadConfig({ env: options.kafkaBrokers === undefined ? {} : { KAFKA_BROKERS: options.kafkaBrokers } }).kafka.brokers;
}

/** Best effort: the coupons' rows and Redis keys, and the run's Kafka topic and group. */
export async function cleanUp(options: Pick<BenchOptions, 'redisUrl' | 'kafkaBrokers'>, queue: Queue, service: ServiceHandle, db: BenchDb, couponIds: readonly number[]): Promise<void> {
  const attempt = async (what: string, work: () => Promise<void>): Promise<void> => {
    try {
      await work();
    } catch (err) {
      say(`clean-up of ${what} failed: ${(err as Error).message}`);
    }
  };
  await attempt('MySQL rows', () => db.deleteCoupons(couponIds));
  await attempt('Redis keys', () => deleteRedisKeys(options.redisUrl, couponIds, service.topic));
  if (queue === 'kafka' && service.topic !== undefined && service.groupId !== undefined) {
    const { topic, groupId } = service;
    await attempt('Kafka topic', () => deleteKafkaRun(brokersOf(options), topic, groupId));
  }
}

/** Until the warm-up coupon has a row for each of its admissions, so storing them does not fall in the measured run. */
export async function waitForWarmUpRows(db: BenchDb, couponId: number, accepted: number): Promise<void> {
  const wait = await db.waitForRows([couponId], accepted, 60_000);
  if (wait.reachedAt === undefined) throw new Error(`warm-up: only ${wait.rows} of ${accepted} rows were stored within 60 s`);
}

/** A short load on a throw-away coupon, stored completely before the measured run starts. */
async function warmUp(service: ServiceHandle, db: BenchDb, scenario: Scenario, requests: number, concurrency: number, bearerTokens: ReadonlyMap<string, string> | undefined): Promise<number> {
  const warm = warmUpScenario(scenario, requests);
  const couponId = await createCoupon(service.url, service.adminToken, 'bench warm-up', warm.stock);
  const load = await runLoad({
    urls: service.urls,
    couponIds: [couponId],
    scenario: warm,
    concurrency: Math.min(concurrency, requests),
    ...(bearerTokens === undefined ? {} : { bearerTokens }),
  });
  const accepted = load.statusCounts['202'] ?? 0;
  await waitForWarmUpRows(db, couponId, accepted);
  say(`warm-up: ${load.responses} requests (${accepted} accepted, all stored)`);
  return couponId;
}

/**
 * The issue route's time histograms of every front door; undefined when one cannot be read
 * (a service with an operations listener serves /metrics only there).
 */
async function scrapeIssueTimes(urls: readonly string[]): Promise<IssueHistograms | undefined> {
  try {
    const texts = await Promise.all(
      urls.map(async (url) => {
        const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5_000) });
        if (response.status !== 200) throw new Error(`GET ${url}/metrics: HTTP ${response.status}`);
        return response.text();
      }),
    );
    return parseIssueHistograms(texts);
  } catch {
    return undefined;
  }
}

export async function runOnce(options: BenchOptions, plan: RunPlan): Promise<RunRecord> {
  const { scenario } = plan;
  const settings: RunSettings = {
    scenario: scenario.name,
    queue: plan.queue,
    partitions: plan.partitions,
    threads: plan.threads,
    concurrency: Math.min(options.concurrency ?? scenario.defaultConcurrency, scenario.requests),
    requests: scenario.requests,
    users: scenario.users,
    stock: scenario.stock,
    coupons: scenario.coupons,
    partitionKey: plan.partitionKey,
  };
  const runId = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const stock = scenario.coupons === 1 ? `stock ${scenario.stock}` : `${scenario.coupons} coupons of ${scenario.stock}`;
  say(`${label(settings)}: ${scenario.requests} requests, ${scenario.users} users, ${stock}, concurrency ${settings.concurrency}`);
  const service =
    options.urls.length > 0
      ? await externalService(options.urls, options.adminToken as string)
      : await startService({
          queue: plan.queue,
          partitions: plan.partitions,
          threads: plan.threads,
          partitionKey: plan.partitionKey,
          mysqlUrl: options.mysqlUrl,
          redisUrl: options.redisUrl,
          kafkaBrokers: options.kafkaBrokers,
          extraArgs: options.jwtSecret === undefined ? options.serviceArgs : [...jwtServiceArgs(options.jwtSecret), ...options.serviceArgs],
          runId,
          logDir: RESULTS_DIR,
        });
  const db = BenchDb.open(options.mysqlUrl);
  const coupons: number[] = [];
  let passed = false;
  try {
    say(`service ready at ${service.url}${service.topic === undefined ? '' : ` (topic ${service.topic}, log ${service.logFile})`}`);
    await db.connect();
    const users = (requests: number): string[] => Array.from({ length: Math.min(requests, scenario.users) }, (_, i) => userIdOf(scenario, i));
    const bearerTokens = options.jwtSecret === undefined ? undefined : await signTokens(options.jwtSecret, users(Math.max(scenario.requests, options.warmup)));
    if (options.warmup > 0) coupons.push(await warmUp(service, db, scenario, options.warmup, settings.concurrency, bearerTokens));
    const couponIds = await createCoupons(service.url, service.adminToken, `bench ${scenario.name} ${runId}`, scenario.stock, scenario.coupons);
    coupons.push(...couponIds);
    const couponId = couponIds[0] as number;
    const probe = options.cpu ? CpuProbe.locate({ servicePids: service.pid === undefined ? [] : [service.pid], serviceUrls: service.urls, redisUrl: options.redisUrl, mysqlUrl: options.mysqlUrl, kafkaBrokers: brokersOf(options) }) : undefined;
    if (probe !== undefined) {
      await probe.start();
      say(`cpu: ${probe.describe()}; ${probe.threadCounts()}`);
    }
    const metricsBefore = await scrapeIssueTimes(service.urls);
    const load = await runLoad({
      urls: service.urls,
      couponIds,
      scenario,
      concurrency: settings.concurrency,
      onProgress: (done, total) => say(`phase 1: ${done}/${total} responses`),
      ...(bearerTokens === undefined ? {} : { bearerTokens }),
    });
    const metricsAfter = await scrapeIssueTimes(service.urls);
    const successes = load.statusCounts['202'] ?? 0;
    const timeoutMs = options.phase2TimeoutMs ?? scenario.phase2TimeoutMs;
    say(`phase 1 done: ${load.responses} responses, ${successes} accepted; waiting for ${successes} rows (timeout ${timeoutMs} ms)`);
    const wait = await db.waitForRows(couponIds, successes, timeoutMs);
    // The CPU window ends when every row is stored (or Phase 2 gave up): Phases 1 and 2.
    const cpu = probe?.stop(load.responses);
    // Rows may all be stored before the last response (the 202s come first): then the
    // database's stamp of the last row says when (on this machine's clock; a service
    // elsewhere needs a synchronised clock). Counting rows during Phase 1 instead took
    // database CPU from the run, and a busy load generator answered its counts late.
    const lastStamp = successes > 0 && wait.rowsAtStart >= successes ? await db.lastIssuedAt(couponIds) : undefined;
    const early = lastStamp === undefined ? undefined : Math.min(lastStamp - performance.timeOrigin, load.lastResponseAt);
    await sleep(SETTLE_MS);
    const facts = await db.facts(couponIds);
    const serviceCounts = (await couponCounts(service.url, couponId)) ?? null;
    const result = summarize(settings, {
      ...load,
      rowsAtLastResponse: wait.rowsAtStart,
      rowsCompleteAt: early ?? wait.reachedAt,
      phase2TimeoutMs: timeoutMs,
      coupons: facts.map((f, i) => ({ ...f, accepted: load.acceptedByCoupon[i] ?? 0 })),
      expectedAdmissions: expectedAdmissions(scenario),
      cpu: cpu ?? null,
      serverTime: metricsBefore === undefined || metricsAfter === undefined ? null : serverTime(histogramDelta(metricsBefore, metricsAfter)),
    });
    passed = result.verdict.ok;
    return { ...result, warmupRequests: options.warmup, couponId, couponIds, urls: service.urls, topic: service.topic ?? null, serviceCounts };
  } finally {
    await service.stop();
    if (!options.keepData) await cleanUp(options, plan.queue, service, db, coupons);
    await db.close();
    // The service log is kept for a failed run only.
    if (passed && service.logFile !== undefined) rmSync(service.logFile, { force: true });
  }
}
