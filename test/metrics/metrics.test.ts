/**
 * GET /metrics through a whole sale (ROLE all, real Redis, Kafka and MariaDB): every metric
 * of issue 7 is exported and moves by what the sale did. One poison message is produced to
 * the request topic first so the dead-letter counter moves too. Then a smaller sale with
 * QUEUE=redis for that mode's queue gauges. test/http/metrics.test.ts covers the request
 * path of an `api` process; this one follows the requests into MySQL.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import t from 'tap';
import { redisQueueKeys } from '../../src/queue/redis-list/keys.js';
import { createCoupon, issue, request, startTestService, type TestService } from '../helpers/service.js';
import { dropCoupons, openStore, testKafka, testLogger } from '../consumer/helpers.js';
import { testConfig } from '../helpers/env.js';

const STOCK = 150;
const USERS = 300;
/** Admitted users who ask again: ALREADY_ISSUED. */
const REPEATS = 10;
const ISSUE_ROUTE = '/api/coupons/:couponId/issue';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Samples of the Prometheus text format (comments skipped). */
function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[key as string] = value as string;
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

class Scrape {
  readonly samples: Sample[];
  constructor(readonly text: string) {
    this.samples = parseMetrics(text);
  }

  /** The samples of `name` whose labels include `labels`. */
  find(name: string, labels: Record<string, string> = {}): Sample[] {
    return this.samples.filter((s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value));
  }

  /** Their sum (0 when there is none). */
  sum(name: string, labels: Record<string, string> = {}): number {
    return this.find(name, labels).reduce((total, s) => total + s.value, 0);
  }

  /** Whether GET /metrics declares the metric (`# TYPE` line), samples or not. */
  declares(name: string, type: string): boolean {
    return this.text.split('\n').includes(`# TYPE ${name} ${type}`);
  }
}

const scrape = async (svc: TestService): Promise<Scrape> => {
  const response = await fetch(`${svc.url}/metrics`);
  if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}`);
  return new Scrape(await response.text());
};

/** Scrapes until `done` holds or the deadline passes; returns the last scrape (the caller asserts). */
async function scrapeUntil(svc: TestService, done: (s: Scrape) => boolean, timeoutMs = 60_000): Promise<Scrape> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await scrape(svc);
    if (done(s) || Date.now() > deadline) return s;
    await sleep(250);
  }
}

/** Issues to `users`, 50 at a time; returns each one's HTTP status. */
async function sale(svc: TestService, couponId: number, users: string[]): Promise<number[]> {
  const answers: number[] = [];
  for (let start = 0; start < users.length; start += 50) {
    const replies = await Promise.all(users.slice(start, start + 50).map((user) => issue(svc, couponId, user)));
    answers.push(...replies.map((reply) => reply.status));
  }
  return answers;
}

/** The coupon's `issued` (rows in MySQL) once it reaches `expected`, or the last one read after a minute. */
async function storedRows(svc: TestService, couponId: number, expected: number): Promise<number> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const issued = Number((await request(`${svc.url}/api/coupons/${couponId}`)).body['issued']);
    if (issued === expected || Date.now() > deadline) return issued;
    await sleep(200);
  }
}

const pool = await openStore(testConfig());
t.teardown(() => pool.end());

t.test('every metric of the issue is exported and moves with a sale', async (t) => {
  const svc = await startTestService({ ROLE: 'all' });
  const { topic, groupId } = svc.config.kafka;
  const kafka = await testKafka(svc.config, testLogger(svc.config));
  const coupons: number[] = [];
  t.teardown(async () => {
    await svc.stop();
    await dropCoupons(pool, coupons);
    await kafka.deleteTopics();
    await kafka.close();
  });
  const partitionLags = (s: Scrape): Sample[] => s.find('flash_coupon_consumer_partition_lag_messages', { topic, group: groupId });

  // The lag is read from Kafka at scrape time: the first reading may take a moment.
  const before = await scrapeUntil(svc, (s) => partitionLags(s).length === svc.config.kafka.partitions);
  t.equal(partitionLags(before).length, svc.config.kafka.partitions, 'lag of every partition before the sale');

  await kafka.produce(['not an issue request']);
  const couponId = await createCoupon(svc, { totalQuantity: STOCK });
  coupons.push(couponId);
  const users = Array.from({ length: USERS }, (_, i) => `metrics-${couponId}-${i}`);
  const answers = await sale(svc, couponId, users);
  t.equal(answers.filter((status) => status === 202).length, STOCK, 'the stock was admitted');
  const admittedUsers = users.filter((_, i) => answers[i] === 202);
  const repeats = await Promise.all(admittedUsers.slice(0, REPEATS).map((user) => issue(svc, couponId, user)));
  t.same(new Set(repeats.map((reply) => reply.status)), new Set([409]), 'repeats refused');

  // Stored as the user sees it, then every partition committed (the poison message too).
  t.equal(await storedRows(svc, couponId, STOCK), STOCK, 'every admitted request stored');
  const after = await scrapeUntil(svc, (s) => {
    const lags = partitionLags(s);
    return lags.length === svc.config.kafka.partitions && lags.every((lag) => lag.value === 0) && s.sum('flash_coupon_dlq_messages_total') > before.sum('flash_coupon_dlq_messages_total');
  });
  const delta = (name: string, labels: Record<string, string> = {}): number => after.sum(name, labels) - before.sum(name, labels);

  // Requests by route and status; admissions by outcome.
  t.equal(delta('flash_coupon_http_requests_total', { route: ISSUE_ROUTE, status: '202' }), STOCK, '202s counted on the issue route');
  t.equal(delta('flash_coupon_http_requests_total', { route: ISSUE_ROUTE, status: '409' }), USERS - STOCK + REPEATS, '409s counted on the issue route');
  t.ok(delta('flash_coupon_http_requests_total', { route: '/api/coupons/:couponId', status: '200' }) >= 1, 'status reads counted');
  t.equal(delta('flash_coupon_admissions_total', { outcome: 'ADMITTED' }), STOCK, 'admissions counted');
  t.equal(delta('flash_coupon_admissions_total', { outcome: 'SOLD_OUT' }), USERS - STOCK, 'sold-out refusals counted');
  t.equal(delta('flash_coupon_admissions_total', { outcome: 'ALREADY_ISSUED' }), REPEATS, 'repeat refusals counted');

  // Gate and hand-off latency, gate and producer batches.
  t.equal(delta('flash_coupon_gate_seconds_count'), USERS + REPEATS, 'one gate call timed per issue request');
  t.ok(delta('flash_coupon_gate_seconds_sum') > 0, 'gate time accumulates');
  t.equal(delta('flash_coupon_gate_batch_requests_sum'), USERS + REPEATS, 'every issue request went through a gate batch');
  const gateBatches = delta('flash_coupon_gate_batch_requests_count');
  t.ok(gateBatches >= 1 && gateBatches <= USERS + REPEATS, `gate batches counted (${gateBatches})`);
  t.equal(delta('flash_coupon_handoff_seconds_count'), STOCK, 'one hand-off timed per admission');
  t.equal(delta('flash_coupon_producer_batch_messages_sum'), STOCK, 'every admitted request went out in a producer batch');
  const producerBatches = delta('flash_coupon_producer_batch_messages_count');
  t.ok(producerBatches >= 1 && producerBatches <= STOCK, `producer batches counted (${producerBatches})`);

  // Batch writers: rows stored (rate = rows/s), batch sizes, transaction times.
  t.equal(delta('flash_coupon_writer_messages_total', { outcome: 'inserted' }), STOCK, 'rows stored counted once each');
  t.equal(delta('flash_coupon_writer_messages_total', { outcome: 'rejected' }), 0, 'nothing refused by the database');
  const writerBatches = delta('flash_coupon_writer_batch_messages_count');
  t.ok(writerBatches >= 1, `writer batches counted (${writerBatches})`);
  t.ok(delta('flash_coupon_writer_batch_messages_sum') >= STOCK + 1, 'the admitted requests and the poison message went through writer batches');
  const transactions = delta('flash_coupon_writer_transaction_seconds_count');
  // One coupon: at most one transaction per batch (a batch of only the poison message has none).
  t.ok(transactions >= 1 && transactions <= writerBatches, `transactions timed (${transactions} for ${writerBatches} batches)`);
  t.ok(delta('flash_coupon_writer_transaction_seconds_sum') > 0, 'transaction time accumulates');
  t.equal(
    delta('flash_coupon_writer_transaction_seconds_bucket', { le: '+Inf' }),
    transactions,
    'the transaction histogram has buckets',
  );

  // Dead letters: the poison message, once.
  t.ok(after.declares('flash_coupon_dlq_messages_total', 'counter'), 'DLQ counter exported');
  t.equal(delta('flash_coupon_dlq_messages_total', { reason: 'UNDECODABLE' }), 1, 'the poison message counted as dead-lettered');

  // Consumer lag: per partition of our topic and group, and the total, back to 0.
  t.same(
    partitionLags(after).map((s) => s.labels['partition']).sort(),
    Array.from({ length: svc.config.kafka.partitions }, (_, i) => String(i)),
    'a lag sample per partition',
  );
  t.same(partitionLags(after).map((s) => s.value), partitionLags(after).map(() => 0), 'every partition caught up');
  t.same(after.find('flash_coupon_consumer_lag_messages', { queue: 'kafka', topic, group: groupId }).map((s) => s.value), [0], 'total lag 0');

  // Writer pool.
  t.equal(after.sum('flash_coupon_writer_pool_threads'), svc.config.writer.threads, 'pool threads');
  t.equal(after.find('flash_coupon_writer_pool_queue_size').length, 1, 'pool queue size exported');
  t.ok(delta('flash_coupon_writer_pool_busy_seconds_total') > 0, 'pool busy time grows while batches are written');
  const utilization = after.sum('flash_coupon_writer_pool_utilization');
  t.ok(utilization > 0 && utilization <= 1, `pool utilization between 0 and 1 (${utilization})`);

  // Event-loop delay and process metrics.
  t.equal(after.find('nodejs_eventloop_lag_p99_seconds').length, 1, 'event-loop delay p99');
  t.ok(after.sum('nodejs_eventloop_lag_max_seconds') > 0, 'event-loop delay measured');
  t.ok(delta('process_cpu_seconds_total') > 0, 'process CPU time grows');
  t.ok(after.sum('process_resident_memory_bytes') > 0, 'resident memory');
});

t.test('api role: the lag counts admitted requests no writer has taken, on their partition', async (t) => {
  const svc = await startTestService({ ROLE: 'api' });
  const { topic, groupId } = svc.config.kafka;
  const kafka = await testKafka(svc.config, testLogger(svc.config));
  const coupons: number[] = [];
  t.teardown(async () => {
    await svc.stop();
    await dropCoupons(pool, coupons);
    await kafka.deleteTopics();
    await kafka.close();
  });
  const couponId = await createCoupon(svc, { totalQuantity: 30 });
  coupons.push(couponId);
  const answers = await sale(svc, couponId, Array.from({ length: 30 }, (_, i) => `metrics-api-${couponId}-${i}`));
  t.equal(answers.filter((status) => status === 202).length, 30, 'all admitted');
  const total = (s: Scrape): number[] => s.find('flash_coupon_consumer_lag_messages', { queue: 'kafka', topic, group: groupId }).map((sample) => sample.value);
  const after = await scrapeUntil(svc, (s) => total(s)[0] === 30, 15_000);
  t.same(total(after), [30], 'total lag: every admitted request waits');
  // Keyed by coupon: all on one partition.
  const lags = after.find('flash_coupon_consumer_partition_lag_messages', { topic, group: groupId }).map((sample) => sample.value).sort((a, b) => a - b);
  t.same(lags, [...Array.from({ length: svc.config.kafka.partitions - 1 }, () => 0), 30], 'the lag sits on the coupon\'s partition');
  t.equal(after.sum('flash_coupon_writer_pool_threads'), 0, 'no writer threads in an api process');
});

t.test('QUEUE=redis: the queue lists are exported and drain to 0 as the sale is stored', async (t) => {
  const svc = await startTestService({ ROLE: 'all', QUEUE: 'redis' });
  const { topic } = svc.config.kafka;
  const redis = new Redis(svc.config.redis.url);
  const coupons: number[] = [];
  t.teardown(async () => {
    await svc.stop();
    await dropCoupons(pool, coupons);
    const left = await redis.keys(`${redisQueueKeys(topic).pending.replace(/:pending$/, '')}:*`);
    if (left.length > 0) await redis.del(...left);
    redis.disconnect();
  });
  const list = (s: Scrape, name: string): number[] => s.find('flash_coupon_redis_queue_items', { topic, list: name }).map((sample) => sample.value);
  const before = await scrapeUntil(svc, (s) => list(s, 'pending').length === 1);
  t.same(list(before, 'pending'), [0], 'pending list exported');

  const couponId = await createCoupon(svc, { totalQuantity: 20 });
  coupons.push(couponId);
  const answers = await sale(svc, couponId, Array.from({ length: 40 }, (_, i) => `metrics-redis-${couponId}-${i}`));
  t.equal(answers.filter((status) => status === 202).length, 20, 'the stock was admitted');
  t.equal(await storedRows(svc, couponId, 20), 20, 'every admitted request stored');
  const inserted = (s: Scrape): number => s.sum('flash_coupon_writer_messages_total', { outcome: 'inserted' });
  const after = await scrapeUntil(svc, (s) => list(s, 'pending')[0] === 0 && list(s, 'processing')[0] === 0 && inserted(s) - inserted(before) === 20);
  const delta = (name: string): number => after.sum(name) - before.sum(name);
  t.same(list(after, 'pending'), [0], 'nothing pending');
  t.same(list(after, 'processing'), [0], 'nothing held by a consumer');
  t.same(after.find('flash_coupon_consumer_lag_messages', { queue: 'redis', topic }).map((s) => s.value), [0], 'total lag 0');
  t.same(after.find('flash_coupon_consumer_partition_lag_messages', { topic }), [], 'no Kafka partitions in this mode');
  t.equal(inserted(after) - inserted(before), 20, 'rows stored counted');
  t.ok(delta('flash_coupon_writer_batch_messages_sum') >= 20, 'writer batches observed');
  t.ok(delta('flash_coupon_writer_transaction_seconds_count') >= 1, 'transactions timed');
});

t.test('the parser finds what it is asked for, and nothing else', async (t) => {
  const s = new Scrape('# TYPE a counter\na{x="1",y="q\\"z"} 2\na{x="2"} 3\nb 4\n');
  t.equal(s.sum('a'), 5);
  t.equal(s.sum('a', { x: '1' }), 2);
  t.equal(s.find('a', { y: 'q\\"z' }).length, 1);
  t.equal(s.sum('a', { x: '3' }), 0);
  t.equal(s.sum('b'), 4);
  t.ok(s.declares('a', 'counter'));
  t.notOk(s.declares('b', 'counter'));
});
