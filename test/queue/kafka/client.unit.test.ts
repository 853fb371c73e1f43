/**
 * The replication the service asks of Kafka for its topics: 3 replicas, or every broker when
 * fewer, min.insync.replicas one less (at least 1). The admin client is a stand-in recording
 * what would be created; the real brokers are in test/stack/cluster.test.ts.
 */
import t from 'tap';
import type { Admin } from 'kafkajs';
import { loadConfig } from '../../../src/config/index.js';
import { AppError } from '../../../src/errors.js';
import { ensureTopics, minInsyncReplicas } from '../../../src/queue/kafka/client.js';

interface Created {
  topic: string;
  numPartitions?: number;
  replicationFactor?: number;
  configEntries?: { name: string; value: string }[];
}

function fakeAdmin(brokers: number, existing: Record<string, number> = {}): { admin: Admin; created: Created[] } {
  const created: Created[] = [];
  const replicas = (topic: string): number => existing[topic] ?? created.find((c) => c.topic === topic)?.replicationFactor ?? 0;
  const admin = {
    describeCluster: async () => ({ brokers: Array.from({ length: brokers }, (_u, i) => ({ nodeId: i + 1, host: 'h', port: 9092 + i })), controller: 1, clusterId: 'c' }),
    listTopics: async () => Object.keys(existing),
    createTopics: async ({ topics }: { topics: Created[] }) => {
      created.push(...topics);
      return true;
    },
    fetchTopicMetadata: async ({ topics }: { topics: string[] }) => ({
      topics: topics.map((name) => ({ name, partitions: [{ partitionId: 0, leader: 1, replicas: Array.from({ length: replicas(name) }, (_u, i) => i + 1), isr: [1] }] })),
    }),
  } as unknown as Admin;
  return { admin, created };
}

const kafka = (env: Record<string, string> = {}) => loadConfig({ env: { KAFKA_TOPIC: 'req', KAFKA_ISSUED_TOPIC: 'issued', ...env } }).kafka;

t.test('default factor: 3, or the broker count when fewer; min.insync.replicas one less, at least 1', async (t) => {
  for (const [brokers, factor, minIsr] of [[1, 1, '1'], [2, 2, '1'], [3, 3, '2'], [5, 3, '2']] as const) {
    const { admin, created } = fakeAdmin(brokers);
    const report = await ensureTopics(admin, kafka());
    t.same(created.map((c) => [c.topic, c.replicationFactor, c.configEntries]), ['req', 'req.dlq', 'issued'].map((topic) => [topic, factor, [{ name: 'min.insync.replicas', value: minIsr }]]), `${brokers} broker(s): every topic the service creates`);
    t.same([report.replicationFactor, report.wanted], [factor, factor]);
  }
  t.same([1, 2, 3, 4].map(minInsyncReplicas), [1, 1, 2, 3]);
});

t.test('KAFKA_REPLICATION_FACTOR wins, and asking more than the brokers is a configuration error', async (t) => {
  const { admin, created } = fakeAdmin(3);
  await ensureTopics(admin, kafka({ KAFKA_REPLICATION_FACTOR: '2' }));
  t.same(created.map((c) => c.replicationFactor), [2, 2, 2]);
  const err = await t.rejects(ensureTopics(fakeAdmin(1).admin, kafka({ KAFKA_REPLICATION_FACTOR: '3' }))) as unknown;
  t.ok(err instanceof AppError && err.code === 'CONFIG_INVALID');
  t.match((err as Error).message, /KAFKA_REPLICATION_FACTOR is 3 but the Kafka cluster has 1 broker/);
});

t.test('existing topics are left as they are, and the report says what the request topic has', async (t) => {
  const { admin, created } = fakeAdmin(3, { req: 1, 'req.dlq': 1 });
  const report = await ensureTopics(admin, kafka());
  t.same(created.map((c) => c.topic), ['issued'], 'only the missing topic is created');
  t.same(report, { replicationFactor: 1, wanted: 3, created: ['issued'] }, 'a request topic made with one replica is reported as such (the service warns)');
});
