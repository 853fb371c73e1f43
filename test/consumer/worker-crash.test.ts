/**
 * A writer thread that dies mid-batch (exits after its transaction committed, or throws an
 * uncaught error) is replaced and its batch redone: nothing is lost, nothing doubled.
 * The crashes are injected by a test-only worker entry wrapping the real one
 * (test/workers/crash-once-writer.ts), since a real thread death cannot be caused from
 * outside on demand.
 */
import t from 'tap';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startConsumers } from '../../src/queue/consumers.js';
import { dlqMessages } from '../../src/consumer/metrics.js';
import { testConfig } from '../helpers/env.js';
import { admitted, couponState, createCoupon, dropCoupons, openStore, testKafka, testLogger, waitUntil } from './helpers.js';

t.test('a writer thread crashing mid-batch loses nothing', async (t) => {
  const crashDir = mkdtempSync(join(tmpdir(), 'fc-crash-'));
  // Read by the test worker; worker threads get a copy of the environment when they start.
  process.env.FC_TEST_CRASH_DIR = crashDir;
  const config = testConfig({ KAFKA_PARTITIONS: '2', WORKER_THREADS: '2', WRITER_RETRY_BASE_MS: '20' });
  const log = testLogger(config);
  const pool = await openStore(config);
  const kafka = await testKafka(config, log);
  const couponId = await createCoupon(pool, 2000);
  const consumers = await startConsumers(config, log, { workerFile: fileURLToPath(new URL('../workers/crash-once-writer.js', import.meta.url)) });
  t.teardown(async () => {
    await consumers.stop();
    await dropCoupons(pool, [couponId]);
    await kafka.deleteTopics();
    await kafka.close();
    await pool.end();
    rmSync(crashDir, { recursive: true, force: true });
    delete process.env.FC_TEST_CRASH_DIR;
  });
  const deadLettered = (await dlqMessages.get()).values.reduce((sum, value) => sum + value.value, 0);

  await kafka.produce(admitted(couponId, 2000), { keyBy: 'userId' });
  const state = await waitUntil(() => couponState(pool, couponId), (s) => s.rows >= 2000);
  t.same(readdirSync(crashDir).sort(), ['exit-after-commit', 'throw-before-write'], 'both crashes happened');
  t.same(state, { rows: 2000, distinctUsers: 2000, issuedQuantity: 2000, rejections: {} }, 'every row stored once');
  t.ok(await waitUntil(() => kafka.caughtUp(config.kafka.groupId), Boolean), 'the redone batches were committed');
  t.equal((await dlqMessages.get()).values.reduce((sum, value) => sum + value.value, 0), deadLettered, 'nothing was dead-lettered');
});
