/**
 * Pure: turns what a run measured into the reported figures, the pass/fail verdict and the
 * printed table. No I/O here, so test/bench/report.test.ts can check every rule.
 */

export interface RunSettings {
  readonly scenario: string;
  readonly queue: 'kafka' | 'redis';
  /** undefined: the service's default. */
  readonly partitions: number | undefined;
  readonly threads: number | undefined;
  readonly concurrency: number;
  readonly requests: number;
  readonly users: number;
  readonly stock: number;
}

/** Raw measurements of one run (times are performance.now() milliseconds). */
export interface Measurements {
  readonly startedAt: number;
  readonly lastResponseAt: number;
  /** The last 202 (0: none). */
  readonly lastAcceptedAt: number;
  readonly latenciesMs: ArrayLike<number>;
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
  readonly dbRows: number;
  readonly distinctUsers: number;
  readonly issuedQuantity: number | undefined;
}

export interface Verdict {
  readonly ok: boolean;
  readonly failures: readonly string[];
  readonly warnings: readonly string[];
}

export interface BenchResult extends RunSettings {
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
  /** rows - stock, not clamped: negative when fewer rows than the stock. */
  readonly oversold: number;
  readonly duplicates: number;
  readonly issuedQuantity: number | null;
  readonly statusCounts: Readonly<Record<string, number>>;
  readonly codeCounts: Readonly<Record<string, number>>;
  readonly verdict: Verdict;
}

/** Nearest-rank percentile of ascending values; null for none. */
export function percentile(sortedAscending: ArrayLike<number>, p: number): number | null {
  const n = sortedAscending.length;
  if (n === 0) return null;
  const rank = Math.min(n, Math.max(1, Math.ceil((p / 100) * n)));
  return sortedAscending[rank - 1] as number;
}

const round = (value: number, digits = 1): number => Math.round(value * 10 ** digits) / 10 ** digits;
const roundOrNull = (value: number | null): number | null => (value === null ? null : round(value, 2));

export function judge(result: Omit<BenchResult, 'verdict'>): Verdict {
  const failures: string[] = [];
  const warnings: string[] = [];
  if (result.oversold > 0) failures.push(`oversold: ${result.dbRows} rows for a stock of ${result.stock} (${result.oversold} too many)`);
  if (result.duplicates > 0) failures.push(`duplicates: ${result.duplicates} rows repeat a user`);
  if (result.dbRows < result.successResponses) failures.push(`missing rows: ${result.successResponses} requests got 202 but only ${result.dbRows} rows are stored`);
  if (result.successResponses > result.stock) failures.push(`the service answered 202 ${result.successResponses} times for a stock of ${result.stock}`);
  if (result.phase2Ms === null) failures.push('Phase 2 timed out: the database never held every admitted row');
  const demand = Math.min(result.stock, result.users, result.requests);
  if (result.successResponses < demand) warnings.push(`undersold: ${demand - result.successResponses} coupons left while users still asked`);
  if (result.dbRows > result.successResponses) warnings.push(`${result.dbRows - result.successResponses} stored rows have no 202 (a lost response?)`);
  if (result.errors > 0) warnings.push(`${result.errors} requests got no response (${result.timeouts} timeouts)`);
  const unexpected = Object.entries(result.statusCounts).filter(([status]) => status !== '202' && status !== '409');
  if (unexpected.length > 0) warnings.push(`unexpected statuses: ${unexpected.map(([s, n]) => `${s} x${n}`).join(', ')}`);
  if (result.issuedQuantity !== null && result.issuedQuantity !== result.dbRows) warnings.push(`coupon.issued_quantity is ${result.issuedQuantity}, rows are ${result.dbRows}`);
  return { ok: failures.length === 0, failures, warnings };
}

export function summarize(settings: RunSettings, m: Measurements): BenchResult {
  const sorted = Float64Array.from(m.latenciesMs).sort();
  const phase1Ms = Math.max(0, m.lastResponseAt - m.startedAt);
  const phase2Ms = m.rowsCompleteAt === undefined ? null : Math.max(0, m.rowsCompleteAt - m.lastResponseAt);
  const successResponses = m.statusCounts['202'] ?? 0;
  const phase2Rows = m.dbRows - m.rowsAtLastResponse;
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
    successResponses,
    responses: m.responses,
    errors: m.errors,
    timeouts: m.timeouts,
    dbRows: m.dbRows,
    rowsAtLastResponse: m.rowsAtLastResponse,
    phase2RowsPerSec: phase2Ms !== null && phase2Ms > 0 && phase2Rows > 0 ? Math.round((phase2Rows / phase2Ms) * 1000) : null,
    storeLagMs: stored ? round(Math.max(0, (m.rowsCompleteAt as number) - m.lastAcceptedAt)) : null,
    storeRowsPerSec: stored && (m.rowsCompleteAt as number) > m.startedAt ? Math.round((successResponses / ((m.rowsCompleteAt as number) - m.startedAt)) * 1000) : null,
    oversold: m.dbRows - settings.stock,
    duplicates: m.dbRows - m.distinctUsers,
    issuedQuantity: m.issuedQuantity ?? null,
    statusCounts: m.statusCounts,
    codeCounts: m.codeCounts,
  };
  return { ...partial, verdict: judge(partial) };
}

/** A column heading that tells runs apart: scenario, queue, and partitions/threads when set. */
export function label(result: RunSettings): string {
  const knobs = [result.partitions === undefined ? '' : `p${result.partitions}`, result.threads === undefined ? '' : `t${result.threads}`].filter(Boolean);
  return [result.scenario.toUpperCase(), result.queue, ...knobs].join(' ');
}

const show = (value: number | null, unit = ''): string => (value === null ? 'timeout' : `${value}${unit}`);

/** The figures --runs takes the median of. */
export const MEDIAN_FIELDS = ['phase1Ms', 'phase2Ms', 'totalMs', 'rps', 'p50Ms', 'p95Ms', 'p99Ms', 'storeLagMs'] as const;
export type Medians = Record<(typeof MEDIAN_FIELDS)[number], number | null>;

/** Median of each figure over the runs (the mean of the middle two for an even count); null when a run has none. */
export function medians(results: readonly BenchResult[]): Medians {
  const entries = MEDIAN_FIELDS.map((field) => {
    const values = results.map((r) => r[field]);
    if (values.length === 0 || values.some((v) => v === null)) return [field, null] as const;
    const sorted = (values as number[]).slice().sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    const median = sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
    return [field, round(median)] as const;
  });
  return Object.fromEntries(entries) as Medians;
}

/** The printed table: one row per figure, one column per run (side by side for --compare and --runs). */
export function formatTable(results: readonly BenchResult[], repeated = false): string {
  const codes = [...new Set(results.flatMap((r) => Object.keys(r.codeCounts)))].sort();
  const rows: [string, (r: BenchResult) => string][] = [
    ['phase1Ms', (r) => show(r.phase1Ms)],
    ['phase2Ms', (r) => show(r.phase2Ms)],
    ['totalMs', (r) => show(r.totalMs)],
    ['rps', (r) => String(r.rps)],
    ['p50Ms', (r) => show(r.p50Ms)],
    ['p95Ms', (r) => show(r.p95Ms)],
    ['p99Ms', (r) => show(r.p99Ms)],
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
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((line) => (line[i] as string).length)));
  const line = (cells: string[]): string => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number))).join('  ').trimEnd();
  const name = (r: BenchResult): string => (repeated ? `${label(r)} #${results.indexOf(r) + 1}` : label(r));
  const notes = results.flatMap((r) => [...r.verdict.failures.map((f) => `FAIL ${name(r)}: ${f}`), ...r.verdict.warnings.map((w) => `warn ${name(r)}: ${w}`)]);
  return [line(header), ...body.map(line), ...notes].join('\n');
}
