/**
 * The bare reference loop against the real Redis and Kafka: a comparison against a loop that
 * admitted wrongly, or answered 202 before Kafka had the request, would flatter nobody but
 * the loop.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import kafkajs from 'kafkajs';
import t, { type Test } from 'tap';
import { bareKeys } from '../../../bench/bare/keys.js';
import { freePort } from '../../../bench/service.js';
import { testConfig, uniqueName } from '../../helpers/env.js';
import { readTopic } from '../../helpers/kafka-read.js';

const LOOP = fileURLToPath(new URL('../../../bench/bare/loop.js', import.meta.url));
const config = testConfig();
const brokers = config.kafka.brokers;

async function startLoop(t: Test, args: string[]): Promise<string> {
  const port = await freePort();
  const child = spawn(process.execPath, [LOOP, '--port', String(port), '--redis-url', config.redis.url, '--kafka-brokers', brokers.join(','), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (data: Buffer) => data.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`the bare loop exited (${code}) before it was ready`)));
  });
  return `http://127.0.0.1:${port}`;
}

async function coupon(t: Test, stock: number): Promise<string> {
  const couponId = String(900_000_000 + Math.floor(Math.random() * 1_000_000));
  const redis = new Redis(config.redis.url);
  const keys = bareKeys(couponId);
  await redis.hset(keys[0], 'total', stock, 'admitted', 0);
  t.teardown(async () => {
    await redis.del(...keys);
    redis.disconnect();
  });
  return couponId;
}

const issue = async (url: string, couponId: string, body: string): Promise<{ status: number; body: string }> => {
  const response = await fetch(`${url}/api/coupons/${couponId}/issue`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: response.status, body: await response.text() };
};

t.test('gate loop: one per user, never past the stock, 400 for a body without a userId', async (t) => {
  const url = await startLoop(t, []);
  const couponId = await coupon(t, 2);
  t.equal((await issue(url, couponId, '{"userId":"a"}')).status, 202);
  t.same(await issue(url, couponId, '{"userId":"a"}'), { status: 409, body: '{"code":"SOLD_OUT"}' }, 'a second request of the same user');
  t.equal((await issue(url, couponId, '{"userId":"b"}')).status, 202);
  t.equal((await issue(url, couponId, '{"userId":"c"}')).status, 409, 'past the stock');
  t.equal((await issue(url, couponId, 'not json')).status, 400);
  t.equal((await issue(url, couponId, '{"user":"d"}')).status, 400);
});

t.test('hand-off loop: each 202 comes after Kafka holds the admitted request', async (t) => {
  const topic = uniqueName('t-bare');
  const admin = new kafkajs.Kafka({ brokers: [...brokers], logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true });
  t.teardown(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });
  const url = await startLoop(t, ['--handoff', '--topic', topic]);
  const couponId = await coupon(t, 3);
  const answers = await Promise.all(['u1', 'u2', 'u3', 'u4', 'u1'].map((user) => issue(url, couponId, `{"userId":"${user}"}`)));
  t.same(answers.map((answer) => answer.status).sort(), [202, 202, 202, 409, 409]);
  // Every 202 was acknowledged by the broker before it was sent: the topic has them all now.
  const offsets = await admin.fetchTopicOffsets(topic);
  t.equal(offsets.reduce((sum, partition) => sum + Number(partition.high), 0), 3, 'the three admissions are in the topic');
  const messages = await readTopic(brokers, topic, 3, 300);
  t.same(messages.map((m) => m.ticket).sort(), [1, 2, 3]);
  t.ok(messages.every((m) => m.couponId === Number(couponId) && m.key === couponId), 'keyed by couponId, in the service\'s message format');
});
