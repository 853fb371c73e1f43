/**
 * A message whose transaction keeps failing (here for real: the consumer's MariaDB account
 * may read but not insert) is retried a bounded number of times with backoff, then sent to
 * the dead-letter topic with its error, counted, and the partition moves on.
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { startConsumers } from '../../src/queue/consumers.js';
import { DLQ_HEADERS } from '../../src/queue/kafka/publisher.js';
import { dlqMessages } from '../../src/consumer/metrics.js';
import { encodeIssueRequest } from '../../src/queue/message.js';
import { testConfig } from '../helpers/env.js';
import { admitted, couponState, createCoupon, dropCoupons, openStore, testKafka, testLogger, waitUntil } from './helpers.js';

t.test('a batch that still fails after the last try goes to the dead-letter topic, counted', async (t) => {
  const admin = testConfig();
  const pool = await openStore(admin);
  const database = admin.mysql.database;
  const user = `fc_ro_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(8).toString('hex');
  await pool.query(`CREATE USER '${user}'@'%' IDENTIFIED BY '${password}'`);
  // Enough to start (schema statements are IF NOT EXISTS) and lock the coupon; no INSERT.
  await pool.query(`GRANT CREATE ON \`${database}\`.* TO '${user}'@'%'`);
  await pool.query(`GRANT SELECT, UPDATE ON \`${database}\`.coupon TO '${user}'@'%'`);
  await pool.query(`GRANT SELECT ON \`${database}\`.user_coupon TO '${user}'@'%'`);
  await pool.query(`GRANT SELECT ON \`${database}\`.issue_rejection TO '${user}'@'%'`);

  const config = testConfig({
    MYSQL_URL: `mysql://${user}:${password}@127.0.0.1:3306/${database}`,
    KAFKA_PARTITIONS: '1',
    WRITER_RETRY_ATTEMPTS: '3',
    WRITER_RETRY_BASE_MS: '20',
  });
  const log = testLogger(config);
  const kafka = await testKafka(config, log);
  const couponId = await createCoupon(pool, 10);
  const consumers = await startConsumers(config, log);
  t.teardown(async () => {
    await consumers.stop();
    await dropCoupons(pool, [couponId]);
    await pool.query(`DROP USER IF EXISTS '${user}'@'%'`);
    await kafka.deleteTopics();
    await kafka.close();
    await pool.end();
  });
  const counted = async (): Promise<number> => (await dlqMessages.get()).values.find((v) => v.labels.reason === 'WRITE_FAILED')?.value ?? 0;
  const before = await counted();

  const requests = admitted(couponId, 5);
  await kafka.produce(requests);
  const letters = await kafka.readTopic(config.kafka.dlqTopic, (seen) => seen.length >= 5);
  t.same(letters.map((letter) => letter.value).sort(), requests.map(encodeIssueRequest).sort(), 'every message is in the DLQ, unchanged');
  t.ok(letters.every((letter) => letter.headers[DLQ_HEADERS.reason] === 'WRITE_FAILED' && letter.headers[DLQ_HEADERS.attempts] === '3'), 'after exactly the configured tries');
  t.match(letters[0]?.headers[DLQ_HEADERS.error], /INSERT command denied/, 'with the database error');
  t.equal((await counted()) - before, 5, 'counted in flash_coupon_dlq_messages_total');
  t.ok(await waitUntil(() => kafka.caughtUp(config.kafka.groupId), Boolean), 'the partition moved on');
  t.equal((await couponState(pool, couponId)).rows, 0);
});
