/** Each real part of the local stack works: Kafka, a Lua script on Redis, a MariaDB transaction. */
import t from 'tap';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { createKafka, ensureTopics } from '../../src/queue/kafka/client.js';
import { createPool, ensureDatabase } from '../../src/store/mysql.js';
import { startService } from '../../src/app.js';
import { readTopic } from '../helpers/kafka-read.js';
import { captureLog, LEVEL } from '../helpers/log.js';
import { testConfig, uniqueName } from '../helpers/env.js';

const config = testConfig();

t.test('a message produced to the local Kafka is consumed back', async (t) => {
  const kafka = createKafka(config.kafka, pino({ level: 'silent' }));
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, config.kafka);
  const metadata = await admin.fetchTopicMetadata({ topics: [config.kafka.topic] });
  t.equal(metadata.topics[0]?.partitions.length, config.kafka.partitions, 'topic created with the configured partitions');
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: config.kafka.topic, messages: [{ key: '7', value: JSON.stringify({ c: 7, u: 'roundtrip', t: 1, a: Date.now() }) }] });
  await producer.disconnect();
  const messages = await readTopic(config.kafka.brokers, config.kafka.topic, 1, 300);
  t.match(messages, [{ couponId: 7, userId: 'roundtrip', ticket: 1, key: '7' }]);
  await admin.deleteTopics({ topics: [config.kafka.topic, config.kafka.dlqTopic] });
  await admin.disconnect();
});

t.test('a Lua script runs on Redis, atomically, by EVALSHA', async (t) => {
  const redis = new Redis(config.redis.url);
  t.teardown(() => redis.disconnect());
  const key = uniqueName('lua');
  redis.defineCommand('incrTwice', { numberOfKeys: 1, lua: "redis.call('INCR', KEYS[1]); return redis.call('INCR', KEYS[1])" });
  const result = await (redis as unknown as { incrTwice: (key: string) => Promise<number> }).incrTwice(key);
  t.equal(result, 2);
  await redis.del(key);
});

t.test('a transaction on MariaDB commits and rolls back', async (t) => {
  await ensureDatabase(config.mysql);
  const pool = createPool(config.mysql, 1);
  t.teardown(() => pool.end());
  const table = uniqueName('tx').replaceAll('-', '_');
  await pool.query(`CREATE TABLE ${table} (id INT PRIMARY KEY) ENGINE=InnoDB`);
  const connection = await pool.getConnection();
  await connection.beginTransaction();
  await connection.query(`INSERT INTO ${table} VALUES (1)`);
  await connection.commit();
  await connection.beginTransaction();
  await connection.query(`INSERT INTO ${table} VALUES (2)`);
  await connection.rollback();
  connection.release();
  const [rows] = await pool.query(`SELECT id FROM ${table}`);
  t.same(rows, [{ id: 1 }], 'the committed row stays, the rolled-back one does not');
  await pool.query(`DROP TABLE ${table}`);
});

t.test('on the single local broker the service warns at start-up that its topic has one replica', async (t) => {
  const { log, lines } = captureLog();
  const service = await startService(testConfig({ ROLE: 'api' }), log);
  await service.stop();
  const warning = lines.find((line) => line.level === LEVEL.warn && line['replicationFactor'] === 1);
  t.ok(warning, 'one warn line carries replicationFactor 1');
  t.match(warning?.msg, /one replica/);
});
