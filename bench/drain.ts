/**
 * `npm run bench -- --drain`: what storing a row costs. An api-only service (`--role api`)
 * admits every request of the scenario (each request a distinct user, each coupon's stock
 * as large as the requests) into a fresh topic; once it has stopped, a consumer-only service
 * (`--role consumer`) stores that backlog, and the window from its first stored row to the
 * last gives rows per second and the CPU per row of its main thread, its writer threads,
 * Kafka and MariaDB. Partitions and writer threads may be lists: one run per combination.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { createCoupons } from './api.js';
import { CpuProbe } from './cpu-probe.js';
import type { CpuReport } from './cpu.js';
import { BenchDb } from './db.js';
import { runLoad } from './load.js';
import type { RunContext } from './machine.js';
import type { BenchOptions } from './options.js';
import { columns } from './report.js';
import { stamp, writeFile } from './results.js';
import { brokersOf, cleanUp, say, RESULTS_DIR } from './run.js';
import type { Scenario } from './scenarios.js';
import { startService, type ServiceHandle } from './service.js';

/** Row counts are read this often while the backlog is stored (one cheap query on the coupon rows). */
const POLL_MS = 20;

export interface DrainRecord {
  readonly scenario: string;
  readonly coupons: number;
  /** undefined: the service default. */
  readonly partitions: number | undefined;
  readonly threads: number | undefined;
  /** Admitted by the api service: the backlog. */
  readonly backlog: number;
  /** Rows stored before the window opened (the first poll that saw any) and in it. */
  readonly rowsBeforeWindow: number;
  readonly rowsInWindow: number;
  readonly windowMs: number;
  readonly rowsPerSec: number;
  /** CPU per stored row in the window (usPerRequest counts rows here). */
  readonly cpu: CpuReport;
  readonly ok: boolean;
  readonly failure: string | undefined;
}

function settingsOf(options: BenchOptions): { partitions: number | undefined; threads: number | undefined }[] {
  const partitions = options.partitions.length > 0 ? options.partitions : [undefined];
  const threads = options.threads.length > 0 ? options.threads : [undefined];
  return partitions.flatMap((p) => threads.map((t) => ({ partitions: p, threads: t })));
}

async function fill(options: BenchOptions, scenario: Scenario, api: ServiceHandle, couponIds: number[]): Promise<number> {
  const load = await runLoad({
    urls: api.urls,
    couponIds,
    scenario,
    concurrency: Math.min(options.concurrency ?? scenario.defaultConcurrency, scenario.requests),
    onProgress: (done, total) => say(`fill: ${done}/${total} responses`),
  });
  const accepted = load.statusCounts['202'] ?? 0;
  if (accepted !== scenario.requests) throw new Error(`the fill admitted ${accepted} of ${scenario.requests} requests (${JSON.stringify(load.statusCounts)})`);
  return accepted;
}

async function drainOnce(options: BenchOptions, base: Scenario, partitions: number | undefined, threads: number | undefined): Promise<DrainRecord> {
  // Every request a distinct user with room in its coupon: every request is admitted.
  const scenario: Scenario = { ...base, users: base.requests, stock: base.requests };
  const runId = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const start = (role: 'api' | 'consumer'): Promise<ServiceHandle> =>
    startService({
      queue: 'kafka',
      partitions,
      threads,
      partitionKey: options.partitionKey,
      mysqlUrl: options.mysqlUrl,
      redisUrl: options.redisUrl,
      kafkaBrokers: options.kafkaBrokers,
      extraArgs: ['--role', role, ...options.serviceArgs],
      runId,
      logDir: RESULTS_DIR,
    });
  const db = BenchDb.open(options.mysqlUrl);
  const api = await start('api');
  let consumer: ServiceHandle | undefined;
  let couponIds: number[] = [];
  try {
    await db.connect();
    couponIds = await createCoupons(api.url, api.adminToken, `bench drain ${runId}`, scenario.stock, scenario.coupons);
    say(`drain ${base.name} p${partitions ?? '-'} t${threads ?? '-'}: filling a backlog of ${scenario.requests} admissions over ${scenario.coupons} coupon(s)`);
    const backlog = await fill(options, scenario, api, couponIds);
    // Stopping drains the producer: every 202 is in the topic before the consumer starts.
    await api.stop();
    if ((await db.issuedTotal(couponIds)) !== 0) throw new Error('rows were stored before the consumer started');
    consumer = await start('consumer');
    const probe = CpuProbe.locate({ servicePids: consumer.pid === undefined ? [] : [consumer.pid], serviceUrls: [], redisUrl: options.redisUrl, mysqlUrl: options.mysqlUrl, kafkaBrokers: brokersOf(options) });
    // The window opens at the first stored row, so start-up and the group join stay out of it.
    let rowsBeforeWindow = 0;
    const deadline = performance.now() + (options.phase2TimeoutMs ?? base.phase2TimeoutMs);
    while ((rowsBeforeWindow = await db.issuedTotal(couponIds)) === 0) {
      if (performance.now() > deadline) throw new Error('the consumer stored nothing before the timeout');
      await sleep(POLL_MS);
    }
    probe.mark();
    const openedAt = performance.now();
    let rows = rowsBeforeWindow;
    while (rows < backlog && performance.now() < deadline) {
      await sleep(POLL_MS);
      rows = await db.issuedTotal(couponIds);
    }
    const windowMs = performance.now() - openedAt;
    const cpuRows = rows - rowsBeforeWindow;
    // Threads are told apart while idle, so only now that the backlog is stored; the few
    // idle milliseconds this adds to the CPU window cost next to nothing.
    await probe.classify();
    const cpu = probe.stop(cpuRows);
    const facts = await db.facts(couponIds);
    const stored = facts.reduce((sum, f) => sum + f.rows, 0);
    const failure = rows < backlog ? `timed out with ${rows} of ${backlog} rows` : stored !== backlog ? `${stored} rows for ${backlog} admissions` : undefined;
    return {
      scenario: base.name,
      coupons: base.coupons,
      partitions,
      threads,
      backlog,
      rowsBeforeWindow,
      rowsInWindow: cpuRows,
      windowMs: Math.round(windowMs),
      rowsPerSec: Math.round((cpuRows / windowMs) * 1000),
      cpu,
      ok: failure === undefined,
      failure,
    };
  } finally {
    await api.stop();
    await consumer?.stop();
    if (!options.keepData) await cleanUp(options, 'kafka', consumer ?? api, db, couponIds);
    await db.close();
  }
}

function formatDrainTable(records: readonly DrainRecord[]): string {
  const groups = [...new Set(records.flatMap((r) => r.cpu.groups.map((g) => g.name)))].filter((name) => name !== 'load generator');
  const rows: [string, (r: DrainRecord) => string][] = [
    ['backlog', (r) => String(r.backlog)],
    ['rowsInWindow', (r) => String(r.rowsInWindow)],
    ['windowMs', (r) => String(r.windowMs)],
    ['rowsPerSec', (r) => String(r.rowsPerSec)],
    ...groups.map((name): [string, (r: DrainRecord) => string] => [`cpu us/row ${name}`, (r) => String(r.cpu.groups.find((g) => g.name === name)?.usPerRequest ?? '-')]),
    ['verdict', (r) => (r.ok ? 'PASS' : `FAIL: ${r.failure}`)],
  ];
  const header = ['', ...records.map((r) => `${r.scenario.toUpperCase()} drain p${r.partitions ?? '-'} t${r.threads ?? '-'}`)];
  return columns(header, rows.map(([name, cell]) => [name, ...records.map(cell)]));
}

export async function drain(options: BenchOptions, context: RunContext): Promise<boolean> {
  const scenario = options.scenarios[0] as Scenario;
  const records: DrainRecord[] = [];
  for (const { partitions, threads } of settingsOf(options)) {
    for (let run = 0; run < options.runs; run++) records.push(await drainOnce(options, scenario, partitions, threads));
  }
  process.stdout.write(`${formatDrainTable(records)}\n`);
  const file = writeFile(options.jsonFile ?? join(RESULTS_DIR, `drain-${scenario.name}-${stamp()}.json`), `${JSON.stringify({ kind: 'drain', ...context, records }, null, 2)}\n`);
  say(`wrote ${file}`);
  return records.every((r) => r.ok);
}
