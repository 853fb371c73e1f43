/**
 * Losing a member of the cluster stack mid-sale (issue 16): the broker that leads the sale's
 * partition is killed with SIGKILL. Its followers hold every acknowledged message (acks=all,
 * min.insync.replicas 2 of 3), one of them takes over, and the same final check as every
 * fault scenario holds: every 202 stored, no duplicate, no oversell, 503s without a trace.
 */
import t from 'tap';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/index.js';
import { createKafka } from '../../src/queue/kafka/client.js';
import { upClusterStack } from '../helpers/cluster-stack.js';
import { uniqueName } from '../helpers/env.js';
import { spawnService } from '../helpers/process.js';
import type { TestService } from '../helpers/service.js';
import { freePort, startSale, verifySale, verifyUnavailableLeftNoTrace, waitFor } from './harness.js';

const ADMIN_TOKEN = 'cluster-fault-token-0123456789';

t.test('the leader of the sale\'s partition killed with SIGKILL mid-sale', async (t) => {
  const stack = await upClusterStack(19920, 17020);
  t.teardown(() => stack.destroy());
  const topic = uniqueName('t-cluster-kill');
  const env = { ...stack.exports, ADMIN_TOKEN, KAFKA_TOPIC: topic, KAFKA_GROUP_ID: `${topic}-group`, WORKER_THREADS: '2', HANDOFF_STALL_MS: '1000' };
  const config = loadConfig({ env: { ...env, LOG_LEVEL: 'silent' } });
  const proc = await spawnService({ ...env, PORT: String(await freePort()) });
  t.teardown(() => proc.stop('SIGKILL'));
  const svc = { url: proc.url, adminToken: ADMIN_TOKEN } as TestService;
  const admin = createKafka(config.kafka, pino({ level: 'silent' })).admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());

  // More users than the stock, so the stock sells out after the failover too.
  const stock = 2000;
  const sale = await startSale(svc, { users: 5000, stock, rate: 500, prefix: uniqueName('leader-kill') });
  await waitFor(async () => sale.sent(), (sent) => sent >= 1000, 60000);
  // One coupon, key couponId: the one partition with messages is the sale's.
  const offsets = await admin.fetchTopicOffsets(topic);
  const partition = Number(offsets.find((entry) => Number(entry.high) > 0)?.partition);
  const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
  const leader = metadata.topics[0]!.partitions.find((p) => p.partitionId === partition)!.leader;
  const pid = stack.pids.read(`kafka-${leader}`);
  t.ok(pid !== undefined, `partition ${partition} is led by broker ${leader}, pid ${pid}`);
  process.kill(-pid!, 'SIGKILL');
  t.pass(`broker ${leader} killed with SIGKILL after ${sale.sent()} requests`);
  await sale.done;

  const summary = await verifySale(t, config, sale, stock);
  t.pass(`sale through the broker loss: ${JSON.stringify(summary)}`);
  t.equal(summary.stored, stock, 'no undersell: the whole stock is stored');
  t.equal(summary.transportErrors, 0, 'every request got an answer');
  const after = await admin.fetchTopicMetadata({ topics: [topic] });
  const now = after.topics[0]!.partitions.find((p) => p.partitionId === partition)!;
  t.not(now.leader, leader, `a follower took over partition ${partition} (leader ${now.leader}, in sync ${now.isr.join(',')})`);
  await verifyUnavailableLeftNoTrace(t, svc, sale);
});
