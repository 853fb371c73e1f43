/**
 * CONSUMER_LINGER_MS, against the real Kafka and MariaDB: after a batch smaller than one
 * INSERT, the consumer waits before its next fetch, so what arrives meanwhile is stored as
 * one batch; with 0 it fetches again at once. Batches are counted by the writer's own
 * histogram of messages per batch (this file's process runs one consumer at a time).
 */
import t, { type Test } from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { startConsumers } from '../../../src/queue/consumers.js';
import { writerBatchMessages } from '../../../src/consumer/metrics.js';
import type { IssueRequest } from '../../../src/queue/message.js';
import { testConfig } from '../../helpers/env.js';
import { admitted, couponState, scratchCoupons, testKafka, testLogger, waitUntil } from '../../consumer/helpers.js';

async function batchesSoFar(): Promise<{ batches: number; messages: number }> {
  const values = (await writerBatchMessages.get()).values;
  const of = (name: string): number => values.find((v) => v.metricName === name)?.value ?? 0;
  return { batches: of('flash_coupon_writer_batch_messages_count'), messages: of('flash_coupon_writer_batch_messages_sum') };
}

/** One message, stored; then two more, `gapMs` apart; returns the batches the two took. */
async function twoAfterOne(lingerMs: number, gapMs: number, t: Test): Promise<{ batches: number; messages: number }> {
  const config = testConfig({ KAFKA_PARTITIONS: '1', CONSUMER_LINGER_MS: String(lingerMs) });
  const log = testLogger(config);
  const kafka = await testKafka(config, log);
  const consumers = await startConsumers(config, log);
  t.teardown(async () => {
    await consumers.stop();
    await kafka.deleteTopics();
    await kafka.close();
  });
  const { pool, coupon } = await scratchCoupons(config, (fn) => t.teardown(fn));
  const couponId = await coupon(10);
  const [first, second, third] = admitted(couponId, 3) as [IssueRequest, IssueRequest, IssueRequest];
  await kafka.produce([first]);
  await waitUntil(() => couponState(pool, couponId), (s) => s.rows === 1, 60_000, 20);
  const before = await batchesSoFar();
  await kafka.produce([second]);
  await sleep(gapMs);
  await kafka.produce([third]);
  const state = await waitUntil(() => couponState(pool, couponId), (s) => s.rows === 3, 60_000, 20);
  t.same(state, { rows: 3, distinctUsers: 3, issuedQuantity: 3, rejections: {} }, 'every message stored once');
  const after = await batchesSoFar();
  return { batches: after.batches - before.batches, messages: after.messages - before.messages };
}

t.test('a linger longer than the gap: the two messages are one batch', async (t) => {
  t.same(await twoAfterOne(1_000, 200, t), { batches: 1, messages: 2 });
});

t.test('no linger and a long gap: one batch each', async (t) => {
  t.same(await twoAfterOne(0, 1_500, t), { batches: 2, messages: 2 });
});
