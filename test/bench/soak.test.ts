/**
 * The soak's pure parts: reading a GET /metrics text, the levelling-off verdict on
 * synthetic RSS series, the integrity check, the per-fifth table, the options and the chart.
 */
import t from 'tap';
import { soakSvg } from '../../bench/soak-chart.js';
import { fifths, fifthsTable, integrityFailures, levelOff, parseMetrics, processFigures, type Point, type SoakSample } from '../../bench/soak-metrics.js';
import { parseSoakOptions } from '../../bench/soak-options.js';

const MB = 2 ** 20;

/** A prom-client exposition as the service serves it (trimmed), with a labelled series in between. */
const METRICS = `# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 12.5
# HELP process_resident_memory_bytes Resident memory size in bytes.
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 231063552
# HELP nodejs_eventloop_lag_max_seconds The maximum recorded event loop delay.
# TYPE nodejs_eventloop_lag_max_seconds gauge
nodejs_eventloop_lag_max_seconds 0.077856767
# HELP nodejs_eventloop_lag_p99_seconds The 99th percentile of the recorded event loop delays.
# TYPE nodejs_eventloop_lag_p99_seconds gauge
nodejs_eventloop_lag_p99_seconds 0.030130175
# TYPE nodejs_heap_space_size_used_bytes gauge
nodejs_heap_space_size_used_bytes{space="old"} 999
# HELP nodejs_heap_size_total_bytes Process heap size from Node.js in bytes.
# TYPE nodejs_heap_size_total_bytes gauge
nodejs_heap_size_total_bytes 79953920
# HELP nodejs_heap_size_used_bytes Process heap size used from Node.js in bytes.
# TYPE nodejs_heap_size_used_bytes gauge
nodejs_heap_size_used_bytes 46863248
flash_coupon_gate_seconds_bucket{le="+Inf"} 42
flash_coupon_up +Inf
`;

t.test('a /metrics text gives RSS, heap, event-loop delay (ms) and CPU', async (t) => {
  const f = processFigures(METRICS);
  t.equal(f.rssBytes, 231063552);
  t.equal(f.heapUsedBytes, 46863248);
  t.equal(f.heapTotalBytes, 79953920);
  t.ok(Math.abs((f.eventLoopP99Ms as number) - 30.130175) < 1e-9);
  t.ok(Math.abs((f.eventLoopMaxMs as number) - 77.856767) < 1e-9);
  t.equal(f.cpuSeconds, 12.5);
  const values = parseMetrics(METRICS);
  t.notOk(values.has('nodejs_heap_space_size_used_bytes'), 'labelled series are left out');
  t.equal(values.get('flash_coupon_up'), Infinity);
});

t.test('a metric missing from the text is null, not 0', async (t) => {
  const f = processFigures('process_resident_memory_bytes 1000\n');
  t.equal(f.rssBytes, 1000);
  t.equal(f.heapUsedBytes, null);
  t.equal(f.eventLoopP99Ms, null);
  t.same(processFigures('<html>not metrics</html>'), { rssBytes: null, heapUsedBytes: null, heapTotalBytes: null, eventLoopP99Ms: null, eventLoopMaxMs: null, cpuSeconds: null });
});

/** RSS every 5 s over 300 s: `at(t)` MB plus a GC-like sawtooth of +-15 MB. */
function series(at: (t: number) => number): Point[] {
  return Array.from({ length: 60 }, (_, i) => {
    const t = (i + 1) * 5;
    return { t, value: (at(t) + (i % 4 === 0 ? 15 : i % 4 === 2 ? -15 : 0)) * MB };
  });
}

t.test('memory that rises during warm-up and then stays flat levels off', async (t) => {
  const verdict = levelOff(series((t) => (t < 60 ? 120 + t : 200)), 300, 10);
  t.equal(verdict.ok, true, verdict.message);
  t.equal(verdict.inconclusive, false);
  t.ok(Math.abs(verdict.growthPct as number) < 3, `growth ${verdict.growthPct}`);
  t.match(verdict.message, /^memory levels off: mean RSS 20\d\.\d MB in the second fifth/);
});

t.test('memory that grows steadily fails, even when the growth per sample is small', async (t) => {
  // 0.2 MB/s: +36 MB between the second fifth and the last on a 200 MB process (+18 %).
  const verdict = levelOff(series((t) => 188 + 0.2 * t), 300, 10);
  t.equal(verdict.ok, false);
  t.equal(verdict.inconclusive, false);
  t.ok((verdict.growthPct as number) > 15 && (verdict.growthPct as number) < 20, `growth ${verdict.growthPct}`);
  t.match(verdict.message, /^memory keeps growing/);
  t.equal(levelOff(series((t) => 188 + 0.2 * t), 300, 25).ok, true, 'a looser threshold lets the same series pass');
});

t.test('a drop in memory passes; too few samples or failed scrapes are inconclusive, not a pass', async (t) => {
  t.equal(levelOff(series((t) => 300 - 0.3 * t), 300, 10).ok, true);
  const short = levelOff([{ t: 5, value: MB }, { t: 10, value: MB }], 10, 10);
  t.equal(short.ok, false);
  t.equal(short.inconclusive, true);
  const blind = levelOff(series(() => 200).map((p) => (p.t > 240 ? { t: p.t, value: null } : p)), 300, 10);
  t.equal(blind.ok, false);
  t.equal(blind.inconclusive, true);
});

t.test('integrity: oversold, duplicate and missing rows each fail, a clean coupon does not', async (t) => {
  const clean = { couponId: 1, stock: 100, accepted: 100, rows: 100, distinctUsers: 100, stored: true };
  t.same(integrityFailures([clean]), []);
  t.match(integrityFailures([{ ...clean, rows: 101, distinctUsers: 101 }]), [/coupon 1: oversold by 1/]);
  t.match(integrityFailures([{ ...clean, distinctUsers: 99 }]), [/coupon 1: 1 duplicate rows/]);
  t.match(integrityFailures([{ ...clean, couponId: 2, rows: 97, distinctUsers: 97, stored: false }]), [/coupon 2: 3 of 100 accepted requests have no row \(timed out waiting\)/]);
});

function sample(t: number, rssMb: number): SoakSample {
  return { t, rssBytes: rssMb * MB, heapUsedBytes: 40 * MB, heapTotalBytes: 80 * MB, eventLoopP99Ms: 12, eventLoopMaxMs: t, cpuSeconds: t, requestsPerSec: 5000, rows: t * 100, rowsPerSec: 2000, cpuCores: 1, coupons: 1 };
}

t.test('fifths use the verdict windows and leave out the sample before the load', async (t) => {
  const samples = [sample(0, 100), ...Array.from({ length: 60 }, (_, i) => sample((i + 1) * 5, 200))];
  const rows = fifths(samples, 300);
  t.same(rows.map((r) => r.samples), [11, 12, 12, 12, 13]);
  t.equal(rows[0]?.rssMeanBytes, 200 * MB);
  t.equal(rows[4]?.eventLoopMaxMs, 300);
  t.equal(rows[4]?.rowsAtEnd, 30000);
  const table = fifthsTable(rows);
  t.match(table, /^seconds\s+samples\s+RSS MB/);
  t.match(table, /240-300\s+13\s+200\.0\s+40\.0\s+12\.0\s+300\.0\s+5,000\s+2,000\s+30,000/);
});

t.test('options: defaults, limits and the service flags after --', async (t) => {
  const o = parseSoakOptions([]);
  t.equal(o.durationSec, 300);
  t.equal(o.intervalSec, 5);
  t.equal(o.queue, 'kafka');
  t.equal(o.thresholdPct, 10);
  t.equal(o.stock, 100_000);
  t.equal(o.users, 200_000);
  const r = parseSoakOptions(['--duration', '60', '--queue=redis', '--open-share', '0.25', '--', '--worker-threads', '2']);
  t.equal(r.durationSec, 60);
  t.equal(r.queue, 'redis');
  t.equal(r.openShare, 0.25);
  t.same(r.serviceArgs, ['--worker-threads', '2']);
  t.throws(() => parseSoakOptions(['--duration', '5']), /--duration must be an integer from 10/);
  t.throws(() => parseSoakOptions(['--queue', 'rabbit']), /--queue must be kafka or redis/);
  t.throws(() => parseSoakOptions(['--url', 'http://h:1']), /--url needs --admin-token/);
  t.throws(() => parseSoakOptions(['--bogus']), /bogus/);
});

t.test('the chart is one SVG with the three panels, a legend and the verdict', async (t) => {
  const samples = [sample(0, 100), ...Array.from({ length: 60 }, (_, i) => sample((i + 1) * 5, 200))];
  const verdict = levelOff(samples.filter((s) => s.t > 0).map((s) => ({ t: s.t, value: s.rssBytes })), 300, 10);
  const svg = soakSvg(samples, 300, verdict, 'soak & <test>', 'subtitle');
  t.match(svg, /^<svg [^>]*width="1000"/);
  t.match(svg, /soak &amp; &lt;test&gt;/);
  for (const text of ['Memory', 'Event-loop delay', 'Throughput', 'RSS (whole process)', 'heap used (main thread)', 'p99', 'max', 'rows stored/s', 'second fifth: mean 200.0 MB', 'memory levels off']) {
    t.ok(svg.includes(text), text);
  }
  t.equal((svg.match(/<path /g) ?? []).length, 6, 'one line per series');
  t.ok(svg.trimEnd().endsWith('</svg>'));
});
