/**
 * QUEUE=kafka: admitted requests produced to the real Kafka end as exactly the right rows
 * in the real MariaDB. One consumer group serves the file; every test has its own coupon.
 */
import t from 'tap';
import { startConsumers } from '../../../src/queue/consumers.js';
import { DLQ_HEADERS } from '../../../src/queue/kafka/publisher.js';
import { dlqMessages } from '../../../src/consumer/metrics.js';
import { testConfig, uniqueName } from '../../helpers/env.js';
import { admitted, couponState, createCoupon, dropCoupons, openStore, storedAndRefused, storedUsers, testKafka, testLogger, waitUntil } from '../../consumer/helpers.js';

const config = testConfig({ KAFKA_PARTITIONS: '3', KAFKA_ISSUED_TOPIC: uniqueName('t-issued') });
const log = testLogger(config);
const pool = await openStore(config);
const kafka = await testKafka(config, log);
const consumers = await startConsumers(config, log);
const couponIds: number[] = [];

t.teardown(async () => {
  await consumers.stop();
  await dropCoupons(pool, couponIds);
  await kafka.deleteTopics();
  await kafka.close();
  await pool.end();
});

async function coupon(stock: number): Promise<number> {
  const id = await createCoupon(pool, stock);
  couponIds.push(id);
  return id;
}

async function dlqCount(reason: string): Promise<number> {
  const metric = await dlqMessages.get();
  return metric.values.find((value) => value.labels.reason === reason)?.value ?? 0;
}

t.test('5,000 admitted messages for a stock of 500: the first 500 tickets get rows, once; a replay changes nothing', async (t) => {
  const couponId = await coupon(500);
  const requests = admitted(couponId, 5000);
  await kafka.produce(requests);

  const settled = (s: { rows: number; rejections: Record<string, number> }): boolean => s.rows + (s.rejections.SOLD_OUT ?? 0) >= 5000;
  const state = await waitUntil(() => couponState(pool, couponId), settled);
  t.same(state, { rows: 500, distinctUsers: 500, issuedQuantity: 500, rejections: { SOLD_OUT: 4500 } }, 'exactly the stock, no duplicates');
  const firstCome = requests.slice(0, 500).map((request) => request.userId).sort();
  // One coupon is one partition (key couponId), so batches commit in ticket order.
  t.same(await storedUsers(pool, couponId), firstCome, 'first come, first served by ticket');
  t.equal(await storedAndRefused(pool, couponId), 0, 'no user is both stored and refused');

  const events = await kafka.readTopic(config.kafka.issuedTopic as string, (seen) => seen.filter((m) => m.key === String(couponId)).length >= 500);
  const mine = events.filter((message) => message.key === String(couponId)).map((message) => JSON.parse(message.value ?? '{}') as { userId: string; ticket: number; issuedAt: string });
  t.equal(mine.length, 500, 'one coupon-issued event per stored row');
  t.same([...new Set(mine.map((event) => event.userId))].sort(), firstCome, 'events name the stored users');
  t.ok(mine.every((event) => !Number.isNaN(Date.parse(event.issuedAt)) && event.ticket >= 1 && event.ticket <= 500), 'events carry ticket and issuedAt');

  // Replay: a second group reads the same topic from its beginning.
  const replayConfig = { ...config, kafka: { ...config.kafka, groupId: `${config.kafka.groupId}-replay`, issuedTopic: undefined } };
  const replay = await startConsumers(replayConfig, log);
  t.teardown(() => replay.stop());
  t.ok(await waitUntil(() => kafka.caughtUp(replayConfig.kafka.groupId), Boolean), 'the replaying group read everything');
  t.same(await couponState(pool, couponId), state, 'the replay inserted nothing and refused no one twice');
});

t.test('over-stock from a failed gate, spread over all partitions: 600 messages for 500 give 500 rows and 100 SOLD_OUT', async (t) => {
  const couponId = await coupon(500);
  await kafka.produce(admitted(couponId, 600), { keyBy: 'userId' });
  const state = await waitUntil(() => couponState(pool, couponId), (s) => s.rows + (s.rejections.SOLD_OUT ?? 0) >= 600);
  t.same(state, { rows: 500, distinctUsers: 500, issuedQuantity: 500, rejections: { SOLD_OUT: 100 } });
  t.equal(await storedAndRefused(pool, couponId), 0, 'no user is both stored and refused');
});

t.test('a poison message goes to the dead-letter topic and its partition keeps flowing', async (t) => {
  const couponId = await coupon(10);
  const [before, after] = [admitted(couponId, 1, { firstTicket: 1 }), admitted(couponId, 1, { firstTicket: 2 })];
  const poison = `{"not":"an issue request ${couponId}"}`;
  const dlqBefore = await dlqCount('UNDECODABLE');
  await kafka.produce([...before, poison, ...after], { partition: 0 });

  const state = await waitUntil(() => couponState(pool, couponId), (s) => s.rows >= 2);
  t.equal(state.rows, 2, 'the messages before and after the poison are stored');
  const letters = await kafka.readTopic(config.kafka.dlqTopic, (seen) => seen.some((m) => m.value === poison));
  const letter = letters.find((message) => message.value === poison);
  t.ok(letter, 'the poison message is in the DLQ topic, unchanged');
  t.equal(letter?.headers[DLQ_HEADERS.reason], 'UNDECODABLE');
  t.match(letter?.headers[DLQ_HEADERS.error], /not|bad/, 'the error travels in a header');
  t.equal(letter?.headers[`${DLQ_HEADERS.origin}partition`], '0');
  t.equal((await dlqCount('UNDECODABLE')) - dlqBefore, 1, 'counted in flash_coupon_dlq_messages_total');
});

t.test('a message for a coupon that does not exist is refused as COUPON_NOT_FOUND, not lost', async (t) => {
  const couponId = await coupon(1);
  await pool.query('DELETE FROM coupon WHERE id = ?', [couponId]);
  await kafka.produce([{ couponId, userId: 'ghost', ticket: 1, admittedAt: Date.now() }]);
  const state = await waitUntil(() => couponState(pool, couponId), (s) => (s.rejections.COUPON_NOT_FOUND ?? 0) >= 1);
  t.same(state.rejections, { COUPON_NOT_FOUND: 1 });
  t.equal(state.rows, 0);
});
