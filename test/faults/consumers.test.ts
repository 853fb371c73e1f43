/**
 * Faults inside the persistence path during a live sale: a writer thread dying mid-batch,
 * and a consumer group rebalance (a second consumer joins, then leaves) with batches in
 * flight. The same final check holds after each.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { startConsumers } from '../../src/queue/consumers.js';
import { createLogger } from '../../src/logger.js';
import { uniqueName } from '../helpers/env.js';
import { spawnService, type ServiceProcess } from '../helpers/process.js';
import { startTestService } from '../helpers/service.js';
import { startSale, verifySale, waitFor } from './harness.js';

t.test('a writer thread exiting and another throwing mid-batch lose nothing', async (t) => {
  const crashDir = mkdtempSync(join(tmpdir(), 'fc-fault-crash-'));
  // The crash comes from a test-only worker entry wrapping the real writer
  // (test/workers/crash-once-writer.ts): a thread cannot be made to die from outside.
  process.env.FC_TEST_CRASH_DIR = crashDir;
  t.teardown(() => {
    delete process.env.FC_TEST_CRASH_DIR;
    rmSync(crashDir, { recursive: true, force: true });
  });
  const svc = await startTestService({ ROLE: 'api', WORKER_THREADS: '2', WRITER_RETRY_BASE_MS: '50' });
  t.teardown(() => svc.stop());
  const consumers = await startConsumers(svc.config, createLogger(svc.config.log), {
    workerFile: fileURLToPath(new URL('../workers/crash-once-writer.js', import.meta.url)),
  });
  t.teardown(() => consumers.stop());
  const stock = 3000;
  const sale = await startSale(svc, { users: 5000, stock, rate: 1500, prefix: uniqueName('thread-crash') });
  await sale.done;
  const summary = await verifySale(t, svc.config, sale, stock);
  t.same(readdirSync(crashDir).sort(), ['exit-after-commit', 'throw-before-write'], 'both crashes happened during the sale');
  t.equal(summary.stored, stock, JSON.stringify(summary));
});

t.test('a consumer joins and leaves the group while batches are in flight', async (t) => {
  const svc = await startTestService({ ROLE: 'api', KAFKA_PARTITIONS: '3' });
  t.teardown(() => svc.stop());
  const consumerEnv = { ROLE: 'consumer', KAFKA_TOPIC: svc.config.kafka.topic, KAFKA_GROUP_ID: svc.config.kafka.groupId, WORKER_THREADS: '2', CONSUMER_MAX_BYTES_PER_PARTITION: '8192' };
  const processes: ServiceProcess[] = [];
  t.teardown(async () => {
    for (const proc of processes) await proc.stop('SIGKILL');
  });
  processes.push(await spawnService(consumerEnv));
  const stock = 4000;
  const sale = await startSale(svc, { users: 8000, stock, rate: 800, prefix: uniqueName('rebalance') });
  await waitFor(async () => sale.sent(), (sent) => sent >= 1500, 30000);
  const second = await spawnService(consumerEnv);
  processes.push(second);
  t.pass(`second consumer joined after ${sale.sent()} requests`);
  await waitFor(async () => sale.sent(), (sent) => sent >= 4500, 60000);
  t.equal(await second.stop('SIGTERM'), 0, `second consumer left cleanly after ${sale.sent()} requests`);
  await sale.done;
  const summary = await verifySale(t, svc.config, sale, stock);
  t.equal(summary.stored, stock, JSON.stringify(summary));
});
