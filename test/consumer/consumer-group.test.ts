/**
 * Two consumers in one group (two members with their own client ids and writer pools)
 * split the partitions between them and store every row exactly once.
 */
import t from 'tap';
import kafkajs from 'kafkajs';
import { startConsumers } from '../../src/queue/consumers.js';
import { createKafka } from '../../src/queue/kafka/client.js';
import { loadConfig } from '../../src/config/index.js';
import { testConfig } from '../helpers/env.js';
import { admitted, couponState, createCoupon, dropCoupons, openStore, testKafka, testLogger, waitUntil } from './helpers.js';

t.test('two consumers in one group split the partitions and store each row once', async (t) => {
  const first = testConfig({ KAFKA_PARTITIONS: '4', WORKER_THREADS: '2', KAFKA_CLIENT_ID: 'writer-a' });
  // Same topic and group, another member.
  const second = loadConfig({ env: { LOG_LEVEL: 'warn', KAFKA_TOPIC: first.kafka.topic, KAFKA_GROUP_ID: first.kafka.groupId, KAFKA_PARTITIONS: '4', WORKER_THREADS: '2', KAFKA_CLIENT_ID: 'writer-b' } });
  const log = testLogger(first);
  const pool = await openStore(first);
  const kafka = await testKafka(first, log);
  const admin = createKafka(first.kafka, log, '-test-admin').admin();
  await admin.connect();
  const couponIds = [await createCoupon(pool, 3000), await createCoupon(pool, 3000)];
  const a = await startConsumers(first, log);
  const b = await startConsumers(second, log);
  t.teardown(async () => {
    await Promise.all([a.stop(), b.stop()]);
    await admin.disconnect();
    await dropCoupons(pool, couponIds);
    await kafka.deleteTopics();
    await kafka.close();
    await pool.end();
  });

  // Users spread over every partition; the first half before both members settle.
  const requests = couponIds.flatMap((couponId) => admitted(couponId, 3000));
  await kafka.produce(requests.slice(0, 3000), { keyBy: 'userId' });
  const assignment = async (): Promise<Map<string, number[]>> => {
    const [group] = (await admin.describeGroups([first.kafka.groupId])).groups;
    const members = new Map<string, number[]>();
    for (const member of group?.state === 'Stable' ? group.members : []) {
      const decoded = kafkajs.AssignerProtocol.MemberAssignment.decode(member.memberAssignment);
      members.set(member.clientId, decoded?.assignment[first.kafka.topic] ?? []);
    }
    return members;
  };
  const split = await waitUntil(assignment, (members) => members.size === 2 && [...members.values()].every((p) => p.length > 0), 60_000, 250);
  t.same([...split.keys()].sort(), ['writer-a-writer', 'writer-b-writer'], 'both consumers are members');
  t.same([...split.values()].flat().sort(), [0, 1, 2, 3], 'the four partitions are split between them, each once');
  await kafka.produce(requests.slice(3000), { keyBy: 'userId' });

  for (const couponId of couponIds) {
    const state = await waitUntil(() => couponState(pool, couponId), (s) => s.rows >= 3000);
    t.same(state, { rows: 3000, distinctUsers: 3000, issuedQuantity: 3000, rejections: {} }, `coupon ${couponId}: every row once`);
  }
  t.ok(await waitUntil(() => kafka.caughtUp(first.kafka.groupId), Boolean), 'the group committed everything');
});
