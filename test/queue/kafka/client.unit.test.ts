/**
 * The replication the service asks of Kafka for its topics: 3 replicas, or every broker when
 * fewer, min.insync.replicas one less (at least 1). The admin client is a stand-in recording
 * what would be created; the real brokers are in test/stack/cluster.test.ts.
 */
import t from 'tap';
import kafkajs, { type Admin } from 'kafkajs';
import { loadConfig } from '../../../src/config/index.js';
import { AppError } from '../../../src/errors.js';
import { ensureTopics, isRetriableKafkaError, minInsyncReplicas, whileTopicSettles } from '../../../src/queue/kafka/client.js';

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

// A broker that has not heard of a new topic yet cannot be made to answer so on demand: the
// cluster tells it within milliseconds. The errors below are kafkajs's own, as it throws them.
const unknownTopic = (): Error => new kafkajs.KafkaJSProtocolError({ message: 'This server does not host this topic-partition', type: 'UNKNOWN_TOPIC_OR_PARTITION', code: 3, retriable: true } as unknown as Error);

t.test('a topic not yet known to the broker asked is asked again until it is', async (t) => {
  let calls = 0;
  const result = await whileTopicSettles(async () => {
    calls++;
    if (calls < 3) throw unknownTopic();
    return 'metadata';
  });
  t.equal(result, 'metadata');
  t.equal(calls, 3);
});

t.test('an error that will not pass is thrown at once, one that may pass after the wait', async (t) => {
  let calls = 0;
  const denied = new kafkajs.KafkaJSProtocolError({ message: 'Not authorized to access topics', type: 'TOPIC_AUTHORIZATION_FAILED', code: 29, retriable: false } as unknown as Error);
  await t.rejects(
    whileTopicSettles(async () => {
      calls++;
      throw denied;
    }),
    denied,
  );
  t.equal(calls, 1);
  const began = Date.now();
  await t.rejects(whileTopicSettles(() => Promise.reject(unknownTopic()), 500), /does not host this topic-partition/);
  t.ok(Date.now() - began >= 500, 'gave up only after the wait');
  t.notOk(isRetriableKafkaError(new Error('plain')), 'an error of ours is not a broker\'s');
});
