/**
 * `npm run soak -- ...`: S2-like load for five minutes (by default) on one service, sampling
 * its RSS, heap and event-loop delay every 5 s. Prints a line per sample and a table per
 * fifth of the run, writes bench/results/soak-<timestamp>.json and bench/results/soak.svg,
 * and exits non-zero when memory does not level off, or when a coupon was oversold, holds
 * a duplicate or lacks a row for a 202.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { BenchDb } from './db.js';
import { runContext } from './machine.js';
import { stamp, writeFile } from './results.js';
import { cleanUp, RESULTS_DIR } from './run.js';
import { externalService, startService } from './service.js';
import { soakSvg } from './soak-chart.js';
import { startSoakLoad, type SoakLoad } from './soak-load.js';
import { fifths, fifthsTable, integrityFailures, levelOff, sampleLine, type CouponCheck, type SoakSample } from './soak-metrics.js';
import { parseSoakOptions, SOAK_USAGE, type SoakOptions } from './soak-options.js';
import { Sampler } from './soak-sampler.js';
import { runCommand } from './entry.js';

/** Extra rows (an oversell) would arrive shortly after the expected ones: look again after this. */
const SETTLE_MS = 500;

function say(line: string): void {
  process.stderr.write(`[soak] ${line}\n`);
}

const mb = (bytes: number | null): string => (bytes === null ? '-' : `${(bytes / 2 ** 20).toFixed(1)} MB`);
const ms = (value: number | null): string => (value === null ? '-' : `${value.toFixed(1)} ms`);

/** The sample nearest to t seconds. */
function at(samples: readonly SoakSample[], t: number): SoakSample | undefined {
  return [...samples].sort((a, b) => Math.abs(a.t - t) - Math.abs(b.t - t))[0];
}

async function main(options: SoakOptions): Promise<number> {
  const context = runContext();
  const runId = `soak-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  say(`${options.durationSec} s of load, ${options.queue} mode, ${options.concurrency} connections, ${options.users} users, coupons of ${options.stock}`);
  const service = options.url !== undefined
    ? await externalService([options.url], options.adminToken as string)
    : await startService({
        queue: options.queue, partitions: undefined, threads: undefined, partitionKey: undefined, mysqlUrl: options.mysqlUrl, redisUrl: options.redisUrl,
        kafkaBrokers: options.kafkaBrokers, extraArgs: options.serviceArgs, runId, logDir: RESULTS_DIR,
      });
  const db = BenchDb.open(options.mysqlUrl);
  const couponIds: number[] = [];
  let passed = false;
  try {
    say(`service ready at ${service.url}${service.topic === undefined ? '' : ` (topic ${service.topic}, log ${service.logFile})`}`);
    await db.connect();
    const sampler = new Sampler(service.url, db, Math.min(4000, options.intervalSec * 800), say);
    say(`before the load: ${sampleLine(await sampler.take(undefined, 0))}`);

    const load: SoakLoad = await startSoakLoad({
      url: service.url, adminToken: service.adminToken, runId, concurrency: options.concurrency, users: options.users,
      stock: options.stock, couponSeconds: options.couponSeconds, openShare: options.openShare, durationMs: options.durationSec * 1000,
      onCoupon: (id) => couponIds.push(id), onNote: say,
    });
    // Samples on a fixed grid from the load's start, so a slow count does not shift the rest.
    for (let k = 1; k * options.intervalSec <= options.durationSec + 1e-9; k++) {
      // A timer may fire a little early: wait until the grid point has really passed.
      const due = load.startedAt + k * options.intervalSec * 1000;
      while (performance.now() < due) await sleep(Math.max(1, due - performance.now()));
      say(sampleLine(await sampler.take(load, load.startedAt)));
    }
    await load.finished;
    const totals = load.totals();
    say(`load done: ${totals.responses} answers (${totals.accepted} accepted), ${totals.errors} errors (${totals.timeouts} timeouts), ${load.coupons.length} coupons; waiting for the rows`);

    const deadline = performance.now() + options.rowsTimeoutSec * 1000;
    const stored = new Map<number, boolean>();
    for (const c of load.coupons) {
      const wait = await db.waitForRows([c.couponId], c.accepted, Math.max(1, deadline - performance.now()));
      stored.set(c.couponId, wait.reachedAt !== undefined);
    }
    await sleep(SETTLE_MS);
    const checks: CouponCheck[] = [];
    for (const c of load.coupons) {
      const [facts] = await db.facts([c.couponId]);
      checks.push({ couponId: c.couponId, stock: options.stock, accepted: c.accepted, rows: facts?.rows ?? 0, distinctUsers: facts?.distinctUsers ?? 0, stored: stored.get(c.couponId) === true });
    }
    const after = await sampler.take(load, load.startedAt);
    say(`after the rows were stored: ${sampleLine(after)}`);

    const samples = sampler.samples.filter((s) => s !== after);
    const underLoad = samples.filter((s) => s.t > 0);
    const verdict = levelOff(underLoad.map((s) => ({ t: s.t, value: s.rssBytes })), options.durationSec, options.thresholdPct);
    const heap = levelOff(underLoad.map((s) => ({ t: s.t, value: s.heapUsedBytes })), options.durationSec, options.thresholdPct);
    const failures = integrityFailures(checks);
    const warnings: string[] = [];
    if (totals.errors > 0) warnings.push(`${totals.errors} requests got no answer (${totals.timeouts} timeouts)`);
    if (underLoad.some((s) => s.rssBytes === null)) warnings.push(`${underLoad.filter((s) => s.rssBytes === null).length} scrapes of /metrics failed`);
    const byFifth = fifths(samples, options.durationSec);
    const p99s = underLoad.map((s) => s.eventLoopP99Ms).filter((v): v is number => v !== null).sort((a, b) => a - b);
    const maxima = underLoad.map((s) => s.eventLoopMaxMs).filter((v): v is number => v !== null);
    const rows = checks.reduce((sum, c) => sum + c.rows, 0);
    const loadSeconds = underLoad.at(-1)?.t ?? options.durationSec;
    const summary = {
      rss: { beforeLoad: samples[0]?.rssBytes ?? null, first: underLoad[0]?.rssBytes ?? null, middle: at(underLoad, options.durationSec / 2)?.rssBytes ?? null, end: underLoad.at(-1)?.rssBytes ?? null, afterRows: after.rssBytes, peak: Math.max(...underLoad.map((s) => s.rssBytes ?? 0)) },
      heapUsed: { first: underLoad[0]?.heapUsedBytes ?? null, middle: at(underLoad, options.durationSec / 2)?.heapUsedBytes ?? null, end: underLoad.at(-1)?.heapUsedBytes ?? null, growthPct: heap.growthPct },
      eventLoop: { p99MedianMs: p99s[Math.floor(p99s.length / 2)] ?? null, p99WorstMs: p99s.at(-1) ?? null, maxMs: maxima.length === 0 ? null : Math.max(...maxima) },
      requestsPerSec: totals.responses / loadSeconds,
      accepted: totals.accepted,
      rows,
      coupons: load.coupons.length,
    };

    process.stdout.write(`\n${fifthsTable(byFifth)}\n\n`);
    const lines = [
      `RSS: ${mb(summary.rss.beforeLoad)} before the load, ${mb(summary.rss.first)} at ${Math.round(underLoad[0]?.t ?? 0)} s, ${mb(summary.rss.middle)} in the middle, ${mb(summary.rss.end)} at the end, ${mb(summary.rss.afterRows)} once the rows were stored (peak ${mb(summary.rss.peak)})`,
      `heap used (main thread): ${mb(summary.heapUsed.first)} first, ${mb(summary.heapUsed.middle)} middle, ${mb(summary.heapUsed.end)} end (${heap.growthPct === null ? '-' : `${heap.growthPct >= 0 ? '+' : ''}${heap.growthPct.toFixed(1)} %`} last fifth vs second)`,
      `event-loop delay: p99 per ${options.intervalSec} s median ${ms(summary.eventLoop.p99MedianMs)}, worst ${ms(summary.eventLoop.p99WorstMs)}; max ${ms(summary.eventLoop.maxMs)}`,
      `load: ${Math.round(summary.requestsPerSec)} requests/s answered, ${summary.accepted} accepted, ${rows} rows in ${summary.coupons} coupons`,
      verdict.message,
      ...failures.map((f) => `FAIL ${f}`),
      ...warnings.map((w) => `warning: ${w}`),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    passed = verdict.ok && failures.length === 0;

    const settings = { ...options, serviceArgs: [...options.serviceArgs], adminToken: undefined, url: options.url ?? null };
    const coupons = load.coupons.map((c) => ({ ...c, ...checks.find((k) => k.couponId === c.couponId) }));
    const json = { kind: 'soak', ...context, settings, topic: service.topic ?? null, passed, verdict, heapVerdict: heap, failures, warnings, summary, totals, fifths: byFifth, coupons, samples, afterRows: after };
    const jsonFile = writeFile(options.jsonFile ?? join(RESULTS_DIR, `soak-${stamp()}.json`), `${JSON.stringify(json, null, 2)}\n`);
    const subtitle = `${context.date.slice(0, 16).replace('T', ' ')} UTC, commit ${context.commit}, ${context.machine.cpus} CPUs, ${context.machine.memoryGiB} GiB, Node ${context.machine.node}; ${options.queue} mode, ${options.concurrency} connections, ${Math.round(summary.requestsPerSec)} req/s, ${rows.toLocaleString('en-US')} rows in ${summary.coupons} coupons`;
    const svg = soakSvg(samples, options.durationSec, verdict, `flash-coupon soak: ${options.durationSec} s of S2-like load`, subtitle);
    const svgFile = writeFile(options.svgFile ?? join(RESULTS_DIR, 'soak.svg'), svg);
    say(`wrote ${jsonFile} and ${svgFile}`);
    return passed ? 0 : 1;
  } finally {
    await service.stop();
    if (!options.keepData) await cleanUp(options, options.queue, service, db, couponIds);
    await db.close();
    // The service log is kept for a failed run only.
    if (passed && service.logFile !== undefined) rmSync(service.logFile, { force: true });
  }
}

runCommand('soak', SOAK_USAGE, parseSoakOptions, main);
