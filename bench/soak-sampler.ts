/**
 * The soak's sampler: every interval, GET /metrics from the service (RSS, heap, event-loop
 * delay, CPU) and the run's user_coupon rows from MySQL, plus the requests answered since
 * the sample before.
 */
import { performance } from 'node:perf_hooks';
import type { BenchDb } from './db.js';
import type { SoakLoad } from './soak-load.js';
import { processFigures, type ProcessFigures, type SoakSample } from './soak-metrics.js';

/** A closed coupon whose rows are all there is counted no more after this long (beyond autocannon's 10 s timeout). */
const SETTLED_SEC = 15;

const NO_FIGURES: ProcessFigures = { rssBytes: null, heapUsedBytes: null, heapTotalBytes: null, eventLoopP99Ms: null, eventLoopMaxMs: null, cpuSeconds: null };

export async function scrape(url: string, timeoutMs: number): Promise<ProcessFigures | string> {
  try {
    const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
    const text = await response.text();
    if (response.status !== 200) return `GET /metrics: HTTP ${response.status}`;
    return processFigures(text);
  } catch (err) {
    return `GET /metrics: ${(err as Error).message}`;
  }
}

export class Sampler {
  readonly samples: SoakSample[] = [];
  private readonly settledRows = new Map<number, number>();
  private last: { at: number; responses: number; rows: number; cpuSeconds: number | null } | undefined;

  constructor(
    private readonly url: string,
    private readonly db: BenchDb,
    private readonly timeoutMs: number,
    private readonly note: (line: string) => void,
  ) {}

  /** Rows of every coupon so far; coupons closed a while ago and complete are remembered. */
  async rows(load: SoakLoad | undefined, now: number): Promise<number> {
    if (load === undefined) return 0;
    let total = 0;
    for (const c of [...load.coupons]) {
      const settled = this.settledRows.get(c.couponId);
      if (settled !== undefined) {
        total += settled;
        continue;
      }
      const rows = await this.db.countRows([c.couponId]);
      total += rows;
      if (c.closedAt !== null && (now - load.startedAt) / 1000 - c.closedAt > SETTLED_SEC && rows >= c.accepted) this.settledRows.set(c.couponId, rows);
    }
    return total;
  }

  /** One sample; `load` undefined means before the load started (t = 0). */
  async take(load: SoakLoad | undefined, loadStartedAt: number): Promise<SoakSample> {
    const at = performance.now();
    const scraped = await scrape(this.url, this.timeoutMs);
    if (typeof scraped === 'string') this.note(scraped);
    const figures = typeof scraped === 'string' ? NO_FIGURES : scraped;
    let rows = this.last?.rows ?? 0;
    try {
      rows = await this.rows(load, at);
    } catch (err) {
      this.note(`counting rows: ${(err as Error).message}`);
    }
    const responses = load?.totals().responses ?? 0;
    const previous = this.last;
    const seconds = previous === undefined ? 0 : (at - previous.at) / 1000;
    const rate = (now: number, before: number): number => (seconds > 0 ? (now - before) / seconds : 0);
    const sample: SoakSample = {
      ...figures,
      t: load === undefined ? 0 : (at - loadStartedAt) / 1000,
      requestsPerSec: previous === undefined ? 0 : rate(responses, previous.responses),
      rows,
      rowsPerSec: previous === undefined ? 0 : rate(rows, previous.rows),
      cpuCores: previous?.cpuSeconds == null || figures.cpuSeconds === null ? null : rate(figures.cpuSeconds, previous.cpuSeconds),
      coupons: load?.coupons.length ?? 0,
    };
    this.last = { at, responses, rows, cpuSeconds: figures.cpuSeconds };
    this.samples.push(sample);
    return sample;
  }
}
