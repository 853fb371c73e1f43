/**
 * Pure parts of the soak (`npm run soak`): reading one sample out of a GET /metrics text,
 * the levelling-off verdict on the RSS series, the per-fifth summary and the printed lines.
 * No I/O here, so test/bench/soak.test.ts can check every rule.
 */

/** What one scrape of GET /metrics says about the process (null: the metric is missing). */
export interface ProcessFigures {
  readonly rssBytes: number | null;
  /** Main thread only: each worker thread has its own heap, which RSS includes. */
  readonly heapUsedBytes: number | null;
  readonly heapTotalBytes: number | null;
  /** prom-client's event-loop delay since the previous scrape (see bench/README.md). */
  readonly eventLoopP99Ms: number | null;
  readonly eventLoopMaxMs: number | null;
  readonly cpuSeconds: number | null;
}

/** One sample: the process figures plus what the soak saw over the interval before it. */
export interface SoakSample extends ProcessFigures {
  /** Seconds since the load started (0: just before it). */
  readonly t: number;
  readonly requestsPerSec: number;
  /** user_coupon rows of the run's coupons, and their growth per second over the interval. */
  readonly rows: number;
  readonly rowsPerSec: number;
  /** CPU of the service over the interval, in cores (1.0 = one core busy); null without a scrape. */
  readonly cpuCores: number | null;
  readonly coupons: number;
}

/** The unlabelled samples of a Prometheus text exposition, by metric name. */
export function parseMetrics(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    // `name value [timestamp]`; labelled series (`name{...} value`) are not needed here.
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\s+(\S+)/.exec(line);
    if (match === null) continue;
    const value = Number((match[2] as string).replace(/^\+?Inf$/, 'Infinity'));
    if (!Number.isNaN(value) && !values.has(match[1] as string)) values.set(match[1] as string, value);
  }
  return values;
}

export function processFigures(text: string): ProcessFigures {
  const values = parseMetrics(text);
  const get = (name: string, scale = 1): number | null => {
    const value = values.get(name);
    return value === undefined ? null : value * scale;
  };
  return {
    rssBytes: get('process_resident_memory_bytes'),
    heapUsedBytes: get('nodejs_heap_size_used_bytes'),
    heapTotalBytes: get('nodejs_heap_size_total_bytes'),
    eventLoopP99Ms: get('nodejs_eventloop_lag_p99_seconds', 1000),
    eventLoopMaxMs: get('nodejs_eventloop_lag_max_seconds', 1000),
    cpuSeconds: get('process_cpu_seconds_total'),
  };
}

export interface LevelVerdict {
  readonly ok: boolean;
  /** Too few samples in a window to judge: not ok either. */
  readonly inconclusive: boolean;
  /** Mean RSS of the second fifth of the run and of the last fifth (null: no samples). */
  readonly baseMeanBytes: number | null;
  readonly endMeanBytes: number | null;
  readonly growthPct: number | null;
  readonly thresholdPct: number;
  readonly message: string;
}

export interface Point {
  readonly t: number;
  readonly value: number | null;
}

/** Samples needed in each compared window (with 5 s samples, a run of at least about 50 s). */
export const MIN_WINDOW_SAMPLES = 2;

/** Mean of the non-null values with t in [from, to). */
export function windowMean(points: readonly Point[], from: number, to: number): { mean: number | null; n: number } {
  const values = points.filter((p) => p.t >= from && p.t < to && p.value !== null).map((p) => p.value as number);
  return { mean: values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length, n: values.length };
}

/**
 * Memory levels off when the mean of the last fifth of the run is at most `thresholdPct`
 * above the mean of the second fifth. The first fifth is left out: it holds the warm-up
 * (JIT, heap and pools growing to their working size).
 */
export function levelOff(points: readonly Point[], durationSec: number, thresholdPct: number): LevelVerdict {
  const fifth = durationSec / 5;
  const base = windowMean(points, fifth, 2 * fifth);
  // The last sample may land a moment after the nominal end: the last window is open-ended.
  const end = windowMean(points, 4 * fifth, Infinity);
  if (base.n < MIN_WINDOW_SAMPLES || end.n < MIN_WINDOW_SAMPLES || base.mean === null || end.mean === null || base.mean <= 0) {
    return {
      ok: false,
      inconclusive: true,
      baseMeanBytes: base.mean,
      endMeanBytes: end.mean,
      growthPct: null,
      thresholdPct,
      message: `inconclusive: ${base.n} samples in the second fifth and ${end.n} in the last (need ${MIN_WINDOW_SAMPLES} each; run longer)`,
    };
  }
  const growthPct = ((end.mean - base.mean) / base.mean) * 100;
  const ok = growthPct <= thresholdPct;
  const words = `mean RSS ${mb(base.mean)} MB in the second fifth, ${mb(end.mean)} MB in the last (${signed(growthPct)} %, limit +${thresholdPct} %)`;
  return {
    ok,
    inconclusive: false,
    baseMeanBytes: base.mean,
    endMeanBytes: end.mean,
    growthPct,
    thresholdPct,
    message: ok ? `memory levels off: ${words}` : `memory keeps growing: ${words}`,
  };
}

const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
const signed = (value: number): string => `${value >= 0 ? '+' : ''}${value.toFixed(1)}`;
const num = (value: number | null, digits = 1): string => (value === null ? '-' : value.toFixed(digits));
const int = (value: number): string => Math.round(value).toLocaleString('en-US');

/** The line printed for each sample while the soak runs. */
export function sampleLine(s: SoakSample): string {
  return [
    `t=${String(Math.round(s.t)).padStart(4)}s`,
    `rss ${s.rssBytes === null ? '-' : mb(s.rssBytes).padStart(6)} MB`,
    `heap ${s.heapUsedBytes === null ? '-' : mb(s.heapUsedBytes).padStart(6)} MB`,
    `loop delay p99 ${num(s.eventLoopP99Ms).padStart(6)} ms max ${num(s.eventLoopMaxMs).padStart(6)} ms`,
    `cpu ${num(s.cpuCores, 2)}`,
    `${int(s.requestsPerSec).padStart(6)} req/s`,
    `rows ${int(s.rows).padStart(9)} (+${int(s.rowsPerSec)}/s)`,
    `coupons ${s.coupons}`,
  ].join('  ');
}

export interface FifthSummary {
  readonly from: number;
  readonly to: number;
  readonly samples: number;
  readonly rssMeanBytes: number | null;
  readonly heapMeanBytes: number | null;
  readonly eventLoopP99MeanMs: number | null;
  readonly eventLoopMaxMs: number | null;
  readonly requestsPerSec: number | null;
  readonly rowsPerSec: number | null;
  readonly rowsAtEnd: number | null;
}

/** The load's samples (t > 0) grouped into fifths of the run. */
export function fifths(samples: readonly SoakSample[], durationSec: number): FifthSummary[] {
  const out: FifthSummary[] = [];
  for (let i = 0; i < 5; i++) {
    const from = (durationSec * i) / 5;
    const to = (durationSec * (i + 1)) / 5;
    // The same windows as levelOff: [from, to), the first without the t = 0 sample, the last open-ended.
    const mine = samples.filter((s) => s.t > 0 && s.t >= from && (s.t < to || i === 4));
    const mean = (pick: (s: SoakSample) => number | null): number | null => windowMean(mine.map((s) => ({ t: 0, value: pick(s) })), 0, 1).mean;
    const maxima = mine.map((s) => s.eventLoopMaxMs).filter((v): v is number => v !== null);
    out.push({
      from,
      to,
      samples: mine.length,
      rssMeanBytes: mean((s) => s.rssBytes),
      heapMeanBytes: mean((s) => s.heapUsedBytes),
      eventLoopP99MeanMs: mean((s) => s.eventLoopP99Ms),
      eventLoopMaxMs: maxima.length === 0 ? null : Math.max(...maxima),
      requestsPerSec: mean((s) => s.requestsPerSec),
      rowsPerSec: mean((s) => s.rowsPerSec),
      rowsAtEnd: mine.at(-1)?.rows ?? null,
    });
  }
  return out;
}

/** The final table: one row per fifth of the run. */
export function fifthsTable(rows: readonly FifthSummary[]): string {
  const header = ['seconds', 'samples', 'RSS MB', 'heap MB', 'loop p99 ms', 'loop max ms', 'req/s', 'rows/s', 'rows'];
  const body = rows.map((r) => [
    `${Math.round(r.from)}-${Math.round(r.to)}`,
    String(r.samples),
    r.rssMeanBytes === null ? '-' : mb(r.rssMeanBytes),
    r.heapMeanBytes === null ? '-' : mb(r.heapMeanBytes),
    num(r.eventLoopP99MeanMs),
    num(r.eventLoopMaxMs),
    r.requestsPerSec === null ? '-' : int(r.requestsPerSec),
    r.rowsPerSec === null ? '-' : int(r.rowsPerSec),
    r.rowsAtEnd === null ? '-' : int(r.rowsAtEnd),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] as string).length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** What MySQL holds for one coupon of the soak once the rows have been waited for. */
export interface CouponCheck {
  readonly couponId: number;
  readonly stock: number;
  /** 202 answers the soak received for it. */
  readonly accepted: number;
  readonly rows: number;
  readonly distinctUsers: number;
  /** false when the wait for its rows timed out. */
  readonly stored: boolean;
}

/** The guarantees a soak must keep: no oversell, no duplicate, a row for every 202. */
export function integrityFailures(checks: readonly CouponCheck[]): string[] {
  const failures: string[] = [];
  for (const c of checks) {
    if (c.rows > c.stock) failures.push(`coupon ${c.couponId}: oversold by ${c.rows - c.stock} (${c.rows} rows, stock ${c.stock})`);
    if (c.rows > c.distinctUsers) failures.push(`coupon ${c.couponId}: ${c.rows - c.distinctUsers} duplicate rows`);
    if (c.rows < c.accepted) failures.push(`coupon ${c.couponId}: ${c.accepted - c.rows} of ${c.accepted} accepted requests have no row${c.stored ? '' : ' (timed out waiting)'}`);
  }
  return failures;
}
