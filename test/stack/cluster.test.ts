/**
 * `npm run stack -- up --kafka-brokers 3 --redis-cluster` on private ports: three KRaft
 * brokers and a Redis Cluster of 3 primaries with a replica each; the service started with
 * the printed variables (and nothing else about the topology), as two front doors and two
 * consumer processes, sells a coupon through both front doors; its topics have 3 replicas and min.insync.replicas 2; `status` and `down`
 * cover every member.
 */
import t from 'tap';
import { Cluster } from 'ioredis';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/index.js';
import { createKafka } from '../../src/queue/kafka/client.js';
import { couponKeys } from '../../src/gate/keys.js';
import { isAlive } from '../../scripts/stack/processes.js';
import { upClusterStack } from '../helpers/cluster-stack.js';
import { uniqueName } from '../helpers/env.js';
import { spawnService, type ServiceProcess } from '../helpers/process.js';
import type { TestService } from '../helpers/service.js';
import { freePort, startSale, verifySale } from '../faults/harness.js';

const ADMIN_TOKEN = 'cluster-test-token-0123456789';

t.test('the cluster stack runs the service as printed', async (t) => {
  const stack = await upClusterStack(19910, 17010);
  t.teardown(() => stack.destroy());
  t.same(stack.exports, {
    KAFKA_BROKERS: '127.0.0.1:19910,127.0.0.1:19912,127.0.0.1:19914',
    REDIS_URL: 'redis+cluster://127.0.0.1:17010,127.0.0.1:17011,127.0.0.1:17012,127.0.0.1:17013,127.0.0.1:17014,127.0.0.1:17015',
  }, 'up prints KAFKA_BROKERS and REDIS_URL');
  const members = stack.pids.names().sort();
  t.same(members, ['kafka-1', 'kafka-2', 'kafka-3', ...[0, 1, 2, 3, 4, 5].map((i) => `redis-${17010 + i}`)], 'three brokers and six Redis nodes, each with its pid file');

  const status = await stack.command('status');
  t.match(status, /kafka cluster of 3: up at 127\.0\.0\.1:19910,127\.0\.0\.1:19912,127\.0\.0\.1:19914/);
  t.equal(status.match(/redis cluster node .*: up, cluster_state ok \(started by us/g)?.length, 6, 'status reports each Redis node in a healthy cluster');

  const topic = uniqueName('t-cluster');
  const env = { ...stack.exports, ADMIN_TOKEN, KAFKA_TOPIC: topic, KAFKA_GROUP_ID: `${topic}-group`, WORKER_THREADS: '2' };
  // Two front doors and two consumer processes, as an operator would run them over the cluster.
  const processes: ServiceProcess[] = [];
  for (const role of ['api', 'api', 'consumer', 'consumer']) processes.push(await spawnService({ ...env, ROLE: role, PORT: String(await freePort()) }));
  t.teardown(async () => {
    for (const proc of processes) await proc.stop('SIGKILL');
  });
  const [front, otherFront] = processes;
  const svc = { url: front!.url, adminToken: ADMIN_TOKEN } as TestService;
  const stock = 1000;
  const sale = await startSale(svc, { users: 2500, stock, rate: 800, prefix: uniqueName('cluster'), alsoVia: [otherFront!.url] });
  await sale.done;
  const config = loadConfig({ env: { ...env, LOG_LEVEL: 'silent' } });
  for (const door of [front!, otherFront!]) {
    const metrics = await (await fetch(`${door.url}/metrics`)).text();
    const decided = [...metrics.matchAll(/^flash_coupon_admissions_total\{[^}]*\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
    t.ok(decided > 0, `front door ${door.url} decided ${decided} requests`);
  }
  const summary = await verifySale(t, config, sale, stock);
  t.equal(summary.stored, stock, `the whole stock is sold and stored: ${JSON.stringify(summary)}`);

  // The gate's keys live in the cluster, on the slot of the coupon's hash tag.
  const redis = new Cluster(config.redis.cluster!.nodes.map((node) => ({ ...node })), { lazyConnect: true });
  t.teardown(() => redis.disconnect());
  await redis.connect();
  t.equal(await redis.hget(couponKeys(sale.couponId).meta, 'admitted'), String(stock), 'the coupon\'s admissions are counted in the cluster');

  // Every topic the service created: 3 replicas, 2 of them needed in sync.
  const admin = createKafka(config.kafka, pino({ level: 'silent' })).admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const topics = [config.kafka.topic, config.kafka.dlqTopic];
  const metadata = await admin.fetchTopicMetadata({ topics });
  for (const entry of metadata.topics) {
    t.ok(entry.partitions.every((p) => p.replicas.length === 3), `${entry.name}: every partition has 3 replicas`);
  }
  const described = await admin.describeConfigs({ includeSynonyms: false, resources: topics.map((name) => ({ type: 2, name, configNames: ['min.insync.replicas'] })) });
  t.same(described.resources.map((r) => r.configEntries[0]?.configValue), ['2', '2'], 'min.insync.replicas is 2 on each');

  const pids = members.map((name) => stack.pids.read(name)!);
  for (const proc of processes) await proc.stop();
  const down = await stack.command('down');
  t.equal(down.match(/: stopped \(pid \d+\)/g)?.length, 9, 'down stops every member');
  t.ok(pids.every((pid) => !isAlive(pid)), 'no member is left running');
});
