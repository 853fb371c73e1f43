/**
 * Pure: turns what a run measured into the reported figures, the pass/fail verdict and the
 * printed table. No I/O here, so test/bench/report.unit.test.ts can check every rule.
 */
import type { CpuReport } from './cpu.js';
import { byClass, classPercentiles, histogram, percentile, type ClassPercentiles, type Histogram } from './latency.js';
import { NO_SERVER_TIME, type ServerTime } from './server-time.js';

export { percentile };

export interface RunSettings {
  readonly scenario: string;
  readonly queue: 'kafka' | 'redis';
  /** undefined: the service's default. */
  readonly partitions: number | undefined;
  readonly threads: number | undefined;
  readonly concurrency: number;
  readonly requests: number;
  readonly users: number;
  /** Per coupon. */
  readonly stock: number;
  readonly coupons: number;
  /** The Kafka message key the service was started with (undefined: its default, couponId). */
  readonly partitionKey: 'couponId' | 'userId' | undefined;
}

/** One coupon's answers and rows. */
export interface CouponFacts {
  readonly couponId: number;
  /** 202 answers for it. */
  readonly accepted: number;
  readonly rows: number;
  readonly distinctUsers: number;
  /** coupon.issued_quantity, the writer's own counter; undefined if the coupon row is missing. */
  readonly issuedQuantity: number | undefined;
}

/** Raw measurements of one run (times are performance.now() milliseconds). */
export interface Measurements {
  readonly startedAt: number;
  readonly lastResponseAt: number;
  /** The last 202 (0: none). */
  readonly lastAcceptedAt: number;
  readonly latenciesMs: ArrayLike<number>;
  /** The HTTP status of each latency's response. */
  readonly statuses: ArrayLike<number>;
  readonly statusCounts: Readonly<Record<string, number>>;
  readonly codeCounts: Readonly<Record<string, number>>;
  readonly responses: number;
  readonly errors: number;
  readonly timeouts: number;
  /** Rows when Phase 2 polling began, and the moment every 202 had its row (undefined: timed out);
   *  that moment may come before the last response. */
  readonly rowsAtLastResponse: number;
  readonly rowsCompleteAt: number | undefined;
  readonly phase2TimeoutMs: number;
  readonly coupons: readonly CouponFacts[];
  /** What the scenario can admit at most (per coupon: users asking, at most the stock). */
  readonly expectedAdmissions: number;
  /** With --cpu: CPU per request of each process and thread group over the run. */
  readonly cpu?: CpuReport | null;
  /** The service's own time per answer over Phase 1 (null: its /metrics could not be read). */
  readonly serverTime?: ServerTime | null;
}

export interface Verdict {
  readonly ok: boolean;
  readonly failures: readonly string[];
  readonly warnings: readonly string[];
}

/** The ServerTime figures are null when the service's /metrics could not be read. */
export interface BenchResult extends RunSettings, ClassPercentiles, ServerTime {
  readonly phase1Ms: number;
  /** null when the rows never all arrived within the timeout. */
  readonly phase2Ms: number | null;
  readonly totalMs: number | null;
  readonly rps: number;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly p99Ms: number | null;
  readonly maxMs: number | null;
  readonly successResponses: number;
  readonly responses: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly dbRows: number;
  readonly rowsAtLastResponse: number;
  /** Rows stored during Phase 2 per second of Phase 2 (null when Phase 2 stored nothing or timed out). */
  readonly phase2RowsPerSec: number | null;
  /** From the last 202 to every admitted row stored (null: none accepted, or timed out). */
  readonly storeLagMs: number | null;
  /** Admitted rows per second from the first request to the last row stored. */
  readonly storeRowsPerSec: number | null;
  /** rows - stock, not clamped: negative when fewer rows than the stock (several coupons: oversoldOf). */
  readonly oversold: number;
  readonly duplicates: number;
  readonly issuedQuantity: number | null;
  readonly statusCounts: Readonly<Record<string, number>>;
  readonly codeCounts: Readonly<Record<string, number>>;
  /** Answers per log-scale latency bucket and class (drawn next to the JSON as an SVG). */
  readonly latencyHistogram: Histogram;
  /** Each coupon's answers and rows when the scenario sells more than one. */
  readonly perCoupon?: readonly CouponFacts[];
  readonly cpu: CpuReport | null;
  readonly verdict: Verdict;
}

const round = (value: number, digits = 1): number => Math.round(value * 10 ** digits) / 10 ** digits;
const roundOrNull = (value: number | null): number | null => (value === null ? null : round(value, 2));

/** Rows, answers and the stock of each coupon: the failures of one coupon, named when there are several. */
function couponFailures(c: CouponFacts, stock: number, name: string): string[] {
  const failures: string[] = [];
  if (c.rows > stock) failures.push(`${name}oversold: ${c.rows} rows for a stock of ${stock} (${c.rows - stock} too many)`);
  if (c.rows > c.distinctUsers) failures.push(`${name}duplicates: ${c.rows - c.distinctUsers} rows repeat a user`);
  if (c.rows < c.accepted) failures.push(`${name}missing rows: ${c.accepted} requests got 202 but only ${c.rows} rows are stored`);
  if (c.accepted > stock) failures.push(`${name}the service answered 202 ${c.accepted} times for a stock of ${stock}`);
  return failures;
}

export function judge(result: Omit<BenchResult, 'verdict'>, coupons: readonly CouponFacts[], expectedAdmissions: number): Verdict {
  const many = coupons.length > 1;
  const failures = coupons.flatMap((c, i) => couponFailures(c, result.stock, many ? `coupon #${i + 1} (id ${c.couponId}): ` : ''));
  const warnings: string[] = [];
  const accepted = coupons.reduce((sum, c) => sum + c.accepted, 0);
  if (accepted !== result.successResponses) failures.push(`202 answers counted per coupon (${accepted}) differ from all 202 answers (${result.successResponses})`);
  if (result.phase2Ms === null) failures.push('Phase 2 timed out: the database never held every admitted row');
  if (result.successResponses < expectedAdmissions) warnings.push(`undersold: ${expectedAdmissions - result.successResponses} coupons left while users still asked`);
  if (result.dbRows > result.successResponses) warnings.push(`${result.dbRows - result.successResponses} stored rows have no 202 (a lost response?)`);
  if (result.errors > 0) warnings.push(`${result.errors} requests got no response (${result.timeouts} timeouts)`);
  const unexpected = Object.entries(result.statusCounts).filter(([status]) => status !== '202' && status !== '409');
  if (unexpected.length > 0) warnings.push(`unexpected statuses: ${unexpected.map(([s, n]) => `${s} x${n}`).join(', ')}`);
  coupons.forEach((c, i) => {
    if (c.issuedQuantity !== undefined && c.issuedQuantity !== c.rows) warnings.push(`${many ? `coupon #${i + 1}: ` : ''}coupon.issued_quantity is ${c.issuedQuantity}, rows are ${c.rows}`);
  });
  return { ok: failures.length === 0, failures, warnings };
}

/** rows - stock for one coupon (negative when fewer); for several, the rows past the stock summed over the coupons that have any, else the shortfall of all. */
export function oversoldOf(coupons: readonly CouponFacts[], stock: number): number {
  const over = coupons.reduce((sum, c) => sum + Math.max(0, c.rows - stock), 0);
  return over > 0 ? over : coupons.reduce((sum, c) => sum + c.rows, 0) - stock * coupons.length;
}

export function summarize(settings: RunSettings, m: Measurements): BenchResult {
  const sorted = Float64Array.from(m.latenciesMs).sort();
  const classes = byClass(m.latenciesMs, m.statuses);
  const dbRows = m.coupons.reduce((sum, c) => sum + c.rows, 0);
  const issued = m.coupons.map((c) => c.issuedQuantity);
  const phase1Ms = Math.max(0, m.lastResponseAt - m.startedAt);
  const phase2Ms = m.rowsCompleteAt === undefined ? null : Math.max(0, m.rowsCompleteAt - m.lastResponseAt);
  const successResponses = m.statusCounts['202'] ?? 0;
  const phase2Rows = dbRows - m.rowsAtLastResponse;
  const stored = m.rowsCompleteAt !== undefined && successResponses > 0 && m.lastAcceptedAt > 0;
  const partial = {
    ...settings,
    phase1Ms: round(phase1Ms),
    phase2Ms: phase2Ms === null ? null : round(phase2Ms),
    totalMs: phase2Ms === null ? null : round(phase1Ms + phase2Ms),
    rps: phase1Ms > 0 ? Math.round((m.responses / phase1Ms) * 1000) : 0,
    p50Ms: roundOrNull(percentile(sorted, 50)),
    p95Ms: roundOrNull(percentile(sorted, 95)),
    p99Ms: roundOrNull(percentile(sorted, 99)),
    maxMs: roundOrNull(percentile(sorted, 100)),
    ...classPercentiles(classes),
    successResponses,
    responses: m.responses,
    errors: m.errors,
    timeouts: m.timeouts,
    dbRows,
    rowsAtLastResponse: m.rowsAtLastResponse,
    phase2RowsPerSec: phase2Ms !== null && phase2Ms > 0 && phase2Rows > 0 ? Math.round((phase2Rows / phase2Ms) * 1000) : null,
    storeLagMs: stored ? round(Math.max(0, (m.rowsCompleteAt as number) - m.lastAcceptedAt)) : null,
    storeRowsPerSec: stored && (m.rowsCompleteAt as number) > m.startedAt ? Math.round((successResponses / ((m.rowsCompleteAt as number) - m.startedAt)) * 1000) : null,
    oversold: oversoldOf(m.coupons, settings.stock),
    duplicates: m.coupons.reduce((sum, c) => sum + c.rows - c.distinctUsers, 0),
    issuedQuantity: issued.some((q) => q === undefined) ? null : (issued as number[]).reduce((a, b) => a + b, 0),
    statusCounts: m.statusCounts,
    codeCounts: m.codeCounts,
    latencyHistogram: histogram(classes),
    ...(m.coupons.length > 1 ? { perCoupon: m.coupons } : {}),
    ...(m.serverTime ?? NO_SERVER_TIME),
    cpu: m.cpu ?? null,
  };
  return { ...partial, verdict: judge(partial, m.coupons, m.expectedAdmissions) };
}

/** A column heading that tells runs apart: scenario, queue, and partitions/threads/message key when set. */
export function label(result: RunSettings): string {
  const knobs = [
    result.partitions === undefined ? '' : `p${result.partitions}`,
    result.threads === undefined ? '' : `t${result.threads}`,
    result.partitionKey === undefined ? '' : `key=${result.partitionKey}`,
  ].filter(Boolean);
  return [result.scenario.toUpperCase(), result.queue, ...knobs].join(' ');
}

const show = (value: number | null, unit = ''): string => (value === null ? 'timeout' : `${value}${unit}`);

/** The service's own time per answer, printed under the load generator's percentiles. */
const SERVER_FIELDS = ['serviceMeanAcceptedMs', 'serviceP50AcceptedMs', 'serviceP99AcceptedMs', 'serviceMeanRefusedMs', 'serviceP50RefusedMs', 'serviceP99RefusedMs'] as const satisfies readonly (keyof ServerTime)[];

/** The figures --runs takes the median of. */
export const MEDIAN_FIELDS = [
  'phase1Ms', 'phase2Ms', 'totalMs', 'rps', 'p50Ms', 'p95Ms', 'p99Ms',
  'p50AcceptedMs', 'p95AcceptedMs', 'p99AcceptedMs', 'p50RefusedMs', 'p95RefusedMs', 'p99RefusedMs', ...SERVER_FIELDS, 'storeLagMs',
] as const;
export type Medians = Record<(typeof MEDIAN_FIELDS)[number], number | null>;

/** Median of each figure over the runs (the mean of the middle two for an even count); null when a run has none. */
export function medians(results: readonly BenchResult[]): Medians {
  const entries = MEDIAN_FIELDS.map((field) => {
    const values = results.map((r) => r[field]);
    if (values.length === 0 || values.some((v) => v === null)) return [field, null] as const;
    return [field, round(median(values as number[]))] as const;
  });
  return Object.fromEntries(entries) as Medians;
}

/** The middle value (the mean of the middle two for an even count); at least one value. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function cpuCell(r: BenchResult, group: string): string {
  const found = r.cpu?.groups.find((g) => g.name === group);
  return found?.usPerRequest === null || found === undefined ? '-' : String(found.usPerRequest);
}

/** The printed table: one row per figure, one column per run (side by side for --compare and --runs). */
export function formatTable(results: readonly BenchResult[], repeated = false): string {
  const codes = [...new Set(results.flatMap((r) => Object.keys(r.codeCounts)))].sort();
  const cpuGroups = [...new Set(results.flatMap((r) => r.cpu?.groups.map((g) => g.name) ?? []))];
  const rows: [string, (r: BenchResult) => string][] = [
    ['phase1Ms', (r) => show(r.phase1Ms)],
    ['phase2Ms', (r) => show(r.phase2Ms)],
    ['totalMs', (r) => show(r.totalMs)],
    ['rps', (r) => String(r.rps)],
    ['p50Ms', (r) => show(r.p50Ms)],
    ['p95Ms', (r) => show(r.p95Ms)],
    ['p99Ms', (r) => show(r.p99Ms)],
    ...(['p50AcceptedMs', 'p95AcceptedMs', 'p99AcceptedMs', 'p50RefusedMs', 'p95RefusedMs', 'p99RefusedMs'] as const).map(
      (field): [string, (r: BenchResult) => string] => [field, (r) => (r[field] === null ? '-' : String(r[field]))],
    ),
    ...SERVER_FIELDS.map((field): [string, (r: BenchResult) => string] => [field, (r) => (r[field] === null ? '-' : String(r[field]))]),
    ['successResponses', (r) => String(r.successResponses)],
    ['dbRows', (r) => String(r.dbRows)],
    ['phase2RowsPerSec', (r) => (r.phase2RowsPerSec === null ? '-' : String(r.phase2RowsPerSec))],
    ['storeLagMs', (r) => (r.storeLagMs === null ? '-' : String(r.storeLagMs))],
    ['storeRowsPerSec', (r) => (r.storeRowsPerSec === null ? '-' : String(r.storeRowsPerSec))],
    // Display clamps at 0; the JSON keeps the real rows - stock.
    ['oversold', (r) => String(Math.max(0, r.oversold))],
    ['duplicates', (r) => String(r.duplicates)],
    ['errors/timeouts', (r) => `${r.errors}/${r.timeouts}`],
    ...codes.map((code): [string, (r: BenchResult) => string] => [code, (r) => String(r.codeCounts[code] ?? 0)]),
    ...cpuGroups.map((group): [string, (r: BenchResult) => string] => [`cpu us/req ${group}`, (r) => cpuCell(r, group)]),
    ['verdict', (r) => (r.verdict.ok ? 'PASS' : 'FAIL')],
  ];
  const mid = repeated ? medians(results) : undefined;
  const medianCell = (name: string): string[] => {
    if (mid === undefined) return [];
    if (!(MEDIAN_FIELDS as readonly string[]).includes(name)) return [''];
    const value = mid[name as keyof Medians];
    return [value === null ? '-' : String(name === 'rps' ? Math.round(value) : value)];
  };
  const header = ['', ...results.map((r, i) => (repeated ? `${label(r)} #${i + 1}` : label(r))), ...(mid === undefined ? [] : ['median'])];
  const body = rows.map(([name, cell]) => [name, ...results.map(cell), ...medianCell(name)]);
  const name = (r: BenchResult): string => (repeated ? `${label(r)} #${results.indexOf(r) + 1}` : label(r));
  const notes = results.flatMap((r) => [...r.verdict.failures.map((f) => `FAIL ${name(r)}: ${f}`), ...r.verdict.warnings.map((w) => `warn ${name(r)}: ${w}`)]);
  return [columns(header, body), ...notes].join('\n');
}

/** Lines of aligned columns: the first (the figure's name) left-aligned, the rest right-aligned. */
export function columns(header: readonly string[], body: readonly (readonly string[])[]): string {
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((line) => (line[i] as string).length)));
  const line = (cells: readonly string[]): string => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number))).join('  ').trimEnd();
  return [header, ...body].map(line).join('\n');
}
