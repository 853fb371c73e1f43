/**
 * The benchmark's pure parts: percentiles, the reported fields, the table, the failure
 * verdict, the argv parser and the chart.
 */
import t from 'tap';
import { niceMax, sweepSvg } from '../../bench/chart.js';
import { parseOptions } from '../../bench/options.js';
import { formatTable, medians, percentile, summarize, type Measurements, type RunSettings } from '../../bench/report.js';
import { SCENARIOS, clientRequests, userIdOf, type Scenario } from '../../bench/scenarios.js';

const settings: RunSettings = { scenario: 's1', queue: 'kafka', partitions: 3, threads: 2, concurrency: 100, requests: 5000, users: 5000, stock: 500, coupons: 1, partitionKey: undefined };

/** One coupon's facts: `accepted` 202s and `rows` rows, as many distinct users unless told. */
const coupon = (accepted: number, rows: number, distinctUsers = rows, issuedQuantity: number | undefined = rows, couponId = 7) => ({ couponId, accepted, rows, distinctUsers, issuedQuantity });

/** A clean S1 run: 500 accepted, 4,500 sold out, rows complete 120 ms after the last response. */
function measured(overrides: Partial<Measurements> = {}): Measurements {
  return {
    startedAt: 1000,
    lastResponseAt: 3000,
    lastAcceptedAt: 2000,
    latenciesMs: Array.from({ length: 5000 }, (_, i) => (i % 100) + 1),
    statuses: Array.from({ length: 5000 }, (_, i) => (i < 500 ? 202 : 409)),
    statusCounts: { '202': 500, '409': 4500 },
    codeCounts: { '202 ACCEPTED': 500, '409 SOLD_OUT': 4500 },
    responses: 5000,
    errors: 0,
    timeouts: 0,
    rowsAtLastResponse: 200,
    rowsCompleteAt: 3120,
    phase2TimeoutMs: 60000,
    coupons: [coupon(500, 500)],
    expectedAdmissions: 500,
    ...overrides,
  };
}

t.test('percentiles use the nearest rank', async (t) => {
  const values = Float64Array.from({ length: 100 }, (_, i) => i + 1);
  t.equal(percentile(values, 50), 50);
  t.equal(percentile(values, 95), 95);
  t.equal(percentile(values, 99), 99);
  t.equal(percentile(values, 100), 100);
  t.equal(percentile([7], 99), 7);
  t.equal(percentile([1, 2, 3, 4], 50), 2);
  t.equal(percentile([1, 2, 3, 4], 51), 3);
  t.equal(percentile([], 50), null);
});

t.test('a clean run reports its phases, rates and latencies and passes', async (t) => {
  const r = summarize(settings, measured({ latenciesMs: [5, 1, 4, 2, 3, 100, 6, 7, 8, 9], statuses: [202, 202, 202, 409, 409, 409, 409, 409, 409, 503] }));
  t.equal(r.phase1Ms, 2000);
  t.equal(r.phase2Ms, 120);
  t.equal(r.totalMs, 2120);
  t.equal(r.rps, 2500, '5,000 responses in 2 s');
  t.equal(r.p50Ms, 5, 'latencies are sorted before the percentile');
  t.equal(r.p99Ms, 100);
  t.equal(r.p50AcceptedMs, 4, '202s took 5, 1 and 4 ms');
  t.equal(r.p99AcceptedMs, 5);
  t.equal(r.p50RefusedMs, 6, '409s took 2, 3, 100, 6, 7 and 8 ms');
  t.equal(r.p95RefusedMs, 100);
  const total = (counts: readonly number[] | undefined): number => (counts ?? []).reduce((a, b) => a + b, 0);
  t.same([total(r.latencyHistogram.counts.accepted), total(r.latencyHistogram.counts.refused), total(r.latencyHistogram.counts.other)], [3, 6, 1], 'every answer is in the histogram, by class');
  t.equal(r.cpu, null, 'no --cpu, no CPU figures');
  t.equal(r.successResponses, 500);
  t.equal(r.dbRows, 500);
  t.equal(r.oversold, 0);
  t.equal(r.duplicates, 0);
  t.equal(r.phase2RowsPerSec, 2500, '300 rows stored in the 120 ms of Phase 2');
  t.equal(r.storeLagMs, 1120, 'last 202 at 2000, rows complete at 3120');
  t.equal(r.storeRowsPerSec, 236, '500 rows in the 2,120 ms from the first request');
  t.same(r.verdict, { ok: true, failures: [], warnings: [] });
  const json = JSON.parse(JSON.stringify(r)) as Record<string, unknown>;
  for (const field of ['phase1Ms', 'phase2Ms', 'totalMs', 'rps', 'p50Ms', 'p95Ms', 'p99Ms', 'p50AcceptedMs', 'p95AcceptedMs', 'p99AcceptedMs', 'p50RefusedMs', 'p95RefusedMs', 'p99RefusedMs', 'latencyHistogram', 'successResponses', 'dbRows', 'oversold', 'duplicates', 'statusCounts', 'codeCounts', 'verdict']) {
    t.ok(field in json, `JSON has ${field}`);
  }
});

t.test('rows complete before the last response give Phase 2 of 0', async (t) => {
  const r = summarize(settings, measured({ rowsAtLastResponse: 500, rowsCompleteAt: 2500 }));
  t.equal(r.phase2Ms, 0);
  t.equal(r.totalMs, 2000);
  t.equal(r.phase2RowsPerSec, null);
  t.equal(r.storeLagMs, 500);
  t.equal(r.storeRowsPerSec, 333);
  t.ok(r.verdict.ok);
});

t.test('oversold, duplicate and missing rows fail the run', async (t) => {
  const over = summarize(settings, measured({ coupons: [coupon(500, 503)] }));
  t.equal(over.oversold, 3);
  t.notOk(over.verdict.ok);
  t.match(over.verdict.failures.join('\n'), /oversold: 503 rows for a stock of 500/);

  const dup = summarize(settings, measured({ coupons: [coupon(500, 500, 498)] }));
  t.equal(dup.duplicates, 2);
  t.notOk(dup.verdict.ok);
  t.match(dup.verdict.failures.join('\n'), /duplicates: 2/);

  const missing = summarize(settings, measured({ coupons: [coupon(500, 480)], rowsCompleteAt: undefined }));
  t.equal(missing.oversold, -20, 'the JSON keeps the real rows - stock');
  t.equal(missing.phase2Ms, null);
  t.equal(missing.totalMs, null);
  t.equal(missing.storeLagMs, null);
  t.notOk(missing.verdict.ok);
  t.match(missing.verdict.failures.join('\n'), /missing rows: 500 requests got 202 but only 480/);
  t.match(missing.verdict.failures.join('\n'), /Phase 2 timed out/);

  const gate = summarize(settings, measured({ statusCounts: { '202': 501, '409': 4499 }, coupons: [coupon(501, 500)] }));
  t.notOk(gate.verdict.ok, 'more 202s than the stock fails even before rows are counted');
});

t.test('warnings do not fail the run', async (t) => {
  const r = summarize(settings, measured({ statusCounts: { '202': 490, '409': 4500, '503': 10 }, coupons: [coupon(490, 490)], errors: 2, timeouts: 1 }));
  t.ok(r.verdict.ok);
  t.match(r.verdict.warnings.join('\n'), /undersold: 10/);
  t.match(r.verdict.warnings.join('\n'), /unexpected statuses: 503 x10/);
  t.match(r.verdict.warnings.join('\n'), /2 requests got no response \(1 timeouts\)/);
});

t.test('the table puts runs side by side and clamps oversold for display only', async (t) => {
  const kafka = summarize(settings, measured());
  const redis = summarize({ ...settings, queue: 'redis', partitions: undefined, threads: undefined }, measured({ coupons: [coupon(500, 480)], rowsCompleteAt: undefined }));
  const table = formatTable([kafka, redis]);
  const lines = table.split('\n');
  t.match(lines[0], /S1 kafka p3 t2\s+S1 redis$/);
  t.match(table, /^oversold\s+0\s+0$/m, 'a negative oversold shows as 0');
  t.match(table, /^phase2Ms\s+120\s+timeout$/m);
  t.match(table, /^409 SOLD_OUT\s+4500\s+4500$/m);
  t.match(table, /^verdict\s+PASS\s+FAIL$/m);
  t.match(table, /^FAIL S1 redis: missing rows/m);
});

t.test('several coupons: each is judged on its own, and the sums are reported', async (t) => {
  const many = { ...settings, scenario: 's3', coupons: 3, stock: 100 };
  const clean = summarize(many, measured({ statusCounts: { '202': 250, '409': 4750 }, coupons: [coupon(100, 100, 100, 100, 1), coupon(100, 100, 100, 100, 2), coupon(50, 50, 50, 50, 3)], expectedAdmissions: 250 }));
  t.ok(clean.verdict.ok);
  t.equal(clean.dbRows, 250);
  t.equal(clean.oversold, -50, 'no coupon over its stock: the shortfall of all');
  t.equal(clean.issuedQuantity, 250);
  t.equal(clean.perCoupon?.length, 3, 'the JSON lists each coupon');
  t.equal(summarize(settings, measured()).perCoupon, undefined, 'one coupon: no list');

  // 10 rows too many on coupon 1 hide behind coupon 3's shortfall in the sum; the verdict still sees them.
  const over = summarize(many, measured({ statusCounts: { '202': 240, '409': 4760 }, coupons: [coupon(100, 110, 110, 110, 1), coupon(100, 100, 100, 100, 2), coupon(40, 40, 40, 40, 3)], expectedAdmissions: 250 }));
  t.notOk(over.verdict.ok);
  t.equal(over.oversold, 10);
  t.match(over.verdict.failures.join('\n'), /^coupon #1 \(id 1\): oversold: 110 rows for a stock of 100/m);
  t.match(over.verdict.warnings.join('\n'), /undersold: 10/);

  const lost = summarize(many, measured({ statusCounts: { '202': 250, '409': 4750 }, coupons: [coupon(100, 100, 99, 100, 1), coupon(100, 98, 98, 98, 2), coupon(50, 50, 50, 49, 3)], expectedAdmissions: 250 }));
  t.match(lost.verdict.failures.join('\n'), /coupon #1 \(id 1\): duplicates: 1 rows repeat a user/);
  t.match(lost.verdict.failures.join('\n'), /coupon #2 \(id 2\): missing rows: 100 requests got 202 but only 98/);
  t.match(lost.verdict.warnings.join('\n'), /coupon #3: coupon.issued_quantity is 49, rows are 50/);
  t.equal(lost.issuedQuantity, 247);

  const miscounted = summarize(settings, measured({ statusCounts: { '202': 500, '409': 4500 }, coupons: [coupon(499, 500)] }));
  t.match(miscounted.verdict.failures.join('\n'), /202 answers counted per coupon \(499\) differ from all 202 answers \(500\)/);
});

t.test('the table shows percentiles by answer class, the message key and CPU per request', async (t) => {
  const cpu = { windowMs: 2000, requests: 5000, clockTicksPerSecond: 100, groups: [{ name: 'Redis', pids: [9], cpuMs: 40, usPerRequest: 8 }, { name: 'Kafka', pids: [], cpuMs: null, usPerRequest: null }] };
  const r = summarize({ ...settings, partitionKey: 'userId' }, measured({ cpu }));
  const table = formatTable([r]);
  t.match(table.split('\n')[0], /S1 kafka p3 t2 key=userId$/);
  t.match(table, /^p50AcceptedMs\s+\d+$/m);
  t.match(table, /^p99RefusedMs\s+\d+$/m);
  t.match(table, /^cpu us\/req Redis\s+8$/m);
  t.match(table, /^cpu us\/req Kafka\s+-$/m, 'a process not found is a dash');
  const none = formatTable([summarize(settings, measured({ statuses: Array.from({ length: 5000 }, () => 409), statusCounts: { '409': 5000 }, coupons: [coupon(0, 0)], expectedAdmissions: 0 }))]);
  t.match(none, /^p50AcceptedMs\s+-$/m, 'no 202s: no accepted percentiles');
  t.notMatch(none, /cpu us/, 'no CPU rows without --cpu');
  t.match(none, /^serviceP99RefusedMs\s+-$/m, 'no in-service time without a scrape of /metrics');
  const timed = formatTable([summarize(settings, measured({ serverTime: { serviceMeanAcceptedMs: 7.5, serviceP50AcceptedMs: 6, serviceP99AcceptedMs: 20, serviceMeanRefusedMs: 0.4, serviceP50RefusedMs: 0.3, serviceP99RefusedMs: 2 } }))]);
  t.match(timed, /^serviceMeanAcceptedMs\s+7\.5$/m, 'the service\'s own time, under the load generator\'s');
  t.match(timed, /^serviceP99RefusedMs\s+2$/m);
});

t.test('--runs: the medians of each figure, and a median column in the table', async (t) => {
  const runs = [3000, 2000, 2600, 2200, 5000].map((last, i) => summarize(settings, measured({ lastResponseAt: last, latenciesMs: Array.from({ length: 100 }, () => i + 1) })));
  const mid = medians(runs);
  t.equal(mid.phase1Ms, 1600, 'phase 1 of 2000, 1000, 1600, 1200, 4000 ms');
  t.equal(mid.p99Ms, 3, 'p99 of 1..5 ms');
  t.equal(medians(runs.slice(0, 4)).phase1Ms, 1400, 'an even count takes the mean of the middle two');
  t.equal(medians([runs[0] as (typeof runs)[number], summarize(settings, measured({ rowsCompleteAt: undefined }))]).phase2Ms, null, 'a timed-out run has no Phase 2 median');
  const table = formatTable(runs, true);
  t.match(table.split('\n')[0], /S1 kafka p3 t2 #1 .* S1 kafka p3 t2 #5\s+median$/);
  t.match(table, /^phase1Ms\s+2000\s+1000\s+1600\s+1200\s+4000\s+1600$/m);
  t.match(table, /^dbRows(\s+500){5}$/m, 'figures without a median have an empty cell');
});

t.test('scenarios: S1 users are all distinct, S2 users repeat after 200,000', async (t) => {
  const s1 = new Set(Array.from({ length: SCENARIOS.s1.requests }, (_, i) => userIdOf(SCENARIOS.s1, i)));
  t.equal(s1.size, 5000);
  t.equal(userIdOf(SCENARIOS.s2, 200_000), userIdOf(SCENARIOS.s2, 0));
  t.equal(SCENARIOS.s2.requests, 1_000_000);
  t.equal(SCENARIOS.s2.stock, 100_000);
});

/** Every request's userId as autocannon sends them: each connection repeats its list. */
function sentUserIds(scenario: Scenario, connections: number): string[] {
  const sent: string[] = [];
  for (let c = 0; c < connections; c++) {
    const list = clientRequests(scenario, connections, c).map((i) => userIdOf(scenario, i));
    const count = Math.floor(scenario.requests / connections) + (c < scenario.requests % connections ? 1 : 0);
    for (let m = 0; m < count; m++) sent.push(list[m % list.length] ?? 'missing');
  }
  return sent.sort();
}

t.test('the connections together send exactly the users of userIdOf, each request once', async (t) => {
  const cases: Array<[Scenario, number]> = [
    [SCENARIOS.s1, 100],
    [SCENARIOS.s1, 7],
    [{ ...SCENARIOS.s2, requests: 10_000, users: 2_000, stock: 100 }, 100],
    [{ ...SCENARIOS.s2, requests: 10_001, users: 1_999, stock: 100 }, 64],
  ];
  for (const [scenario, connections] of cases) {
    const expected = Array.from({ length: scenario.requests }, (_, i) => userIdOf(scenario, i)).sort();
    t.same(sentUserIds(scenario, connections), expected, `${scenario.requests} requests, ${scenario.users} users, ${connections} connections`);
  }
  t.equal(clientRequests(SCENARIOS.s2, 100, 0).length, 2000, 'S2 lists hold one period, not all 10,000 requests');
});

t.test('argv is parsed in one place with clear errors', async (t) => {
  const run = parseOptions(['--scenario', 's2', '--queue=redis', '--concurrency', '50', '--', '--producer-linger-ms', '2']);
  t.equal(run.mode, 'run');
  t.equal(run.scenarios[0]?.name, 's2');
  t.equal(run.queue, 'redis');
  t.equal(run.concurrency, 50);
  t.same(run.serviceArgs, ['--producer-linger-ms', '2']);
  t.same(parseOptions(['--sweep', '--quick', '--scenarios', 's1']).partitions, [1, 3]);
  t.same(parseOptions(['--sweep']).threads, [1, 2, 3, 6]);
  t.equal(parseOptions(['--requests', '100']).scenarios[0]?.requests, 100);
  t.equal(parseOptions([]).warmup, 2000, 'a warm service by default');
  t.equal(parseOptions(['--warmup', '0']).warmup, 0);
  t.throws(() => parseOptions(['--warmup', 'lots']), /--warmup must be an integer/);
  t.throws(() => parseOptions(['--scenario', 's4']), /unknown scenario "s4"/);
  t.throws(() => parseOptions(['--concurrency', '0']), /--concurrency must be an integer/);
  t.throws(() => parseOptions(['--url', 'http://x:1']), /--url needs --admin-token/);
  t.throws(() => parseOptions(['--partitions', '1,3']), /lists are for --sweep and --drain/);
  const drain = parseOptions(['--drain', '--scenario', 's3', '--partitions', '1,6', '--threads', '3', '--runs', '2']);
  t.has(drain, { mode: 'drain', partitions: [1, 6], threads: [3], runs: 2 }, '--drain takes lists and repeats each setting');
  t.same(parseOptions(['--drain']).partitions, [], '--drain alone: the service defaults');
  t.throws(() => parseOptions(['--drain', '--sweep']), /--compare, --sweep and --drain cannot be combined/);
  t.throws(() => parseOptions(['--drain', '--queue', 'redis']), /--drain varies Kafka partitions/);
  t.equal(parseOptions(['--runs', '5']).runs, 5);
  t.equal(parseOptions([]).runs, 1);
  t.throws(() => parseOptions(['--runs', '0']), /--runs must be an integer from 1 to 50/);
  t.throws(() => parseOptions(['--compare', '--runs', '3']), /--runs repeats one scenario/);
  t.throws(() => parseOptions(['--compare', '--queue', 'redis']), /--compare runs both queues/);
  t.throws(() => parseOptions(['--frobnicate']), /unknown option --frobnicate/);
  t.throws(() => parseOptions(['--mysql-url', 'http://x']), /--mysql-url: MYSQL_URL must use mysql:/);
});

t.test('argv: S3, --quick sizes, --coupons, --partition-key, --cpu and several --url', async (t) => {
  const quick = parseOptions(['--scenario', 's3', '--quick']).scenarios[0];
  t.has(quick, { name: 's3', ...SCENARIOS.s3.quick }, '--quick takes the scenario\'s small sizes');
  t.equal(parseOptions(['--scenario', 's3', '--quick', '--coupons', '5']).scenarios[0]?.coupons, 5, 'explicit sizes win over --quick');
  t.has(parseOptions(['--scenario', 's1', '--quick']).scenarios[0], { requests: 5000, coupons: 1 }, 'S1 is small already');
  t.same(parseOptions(['--sweep', '--scenarios', 's3', '--quick']).scenarios.map((s) => s.requests), [20_000]);
  t.equal(parseOptions(['--partition-key', 'userId']).partitionKey, 'userId');
  t.equal(parseOptions([]).partitionKey, undefined);
  t.throws(() => parseOptions(['--partition-key', 'user']), /--partition-key must be couponId or userId \(got "user"\)/);
  t.throws(() => parseOptions(['--partition-key', 'userId', '--queue', 'redis']), /--partition-key sets the Kafka key/);
  t.throws(() => parseOptions(['--coupons', '0']), /--coupons must be an integer from 1 to 10000/);
  t.equal(parseOptions(['--cpu']).cpu, true);
  t.equal(parseOptions([]).cpu, false);
  const two = parseOptions(['--url', 'http://a:1/', '--admin-token', 't', '--url=http://b:2', '--concurrency', '10']);
  t.same(two.urls, ['http://a:1', 'http://b:2'], 'every --url, in order');
  t.equal(two.concurrency, 10);
  t.same(parseOptions([]).urls, []);
  t.throws(() => parseOptions(['--url', 'http://a:1', '--url', 'http://a:1', '--admin-token', 't']), /the same front door twice/);
  t.throws(() => parseOptions(['--url', 'http://a:1', '--url', 'ftp://b', '--admin-token', 't']), /--url must be http\(s\):\/\/host:port \(got "ftp:\/\/b"\)/);
  t.throws(() => parseOptions(['--url', '--admin-token', 't']), /--url needs a value/);
  t.throws(() => parseOptions(['--url', 'http://a:1', '--url', 'http://b:2']), /--url needs --admin-token/);
  t.same(parseOptions(['--', '--url', 'x']).serviceArgs, ['--url', 'x'], 'after -- a --url is the service\'s');
});

t.test('the sweep chart has both panels, a legend and marks failed runs', async (t) => {
  t.equal(niceMax(0), 1);
  t.equal(niceMax(7300), 10000);
  t.equal(niceMax(2100), 2500);
  const points = [1, 3].flatMap((partitions) => [1, 2].map((threads) => ({ scenario: 's1', partitions, threads, rps: 1000 * threads, phase2Ms: partitions === 3 && threads === 2 ? null : 50, storeLagMs: 20, ok: !(partitions === 3 && threads === 2) })));
  const svg = sweepSvg(points, 'title & more', 'sub');
  t.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  t.match(svg, /S1: throughput/);
  t.match(svg, /S1: Phase 2/);
  t.match(svg, />1 partition</);
  t.match(svg, />3 partitions</);
  t.match(svg, /title &amp; more/, 'text is escaped');
  t.match(svg, /p3 t2: failed \(no value\)/);
  t.match(svg, /S1: store lag/);
  t.equal((svg.match(/<circle/g) ?? []).length, 3 * 3, 'the 3 good runs are dots in each of the 3 panels');
  t.equal((svg.match(/p3 t2: failed/g) ?? []).length, 3, 'the failed run is a cross in each panel');
});
