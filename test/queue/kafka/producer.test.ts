/**
 * The hand-off to Kafka: every admitted request is in the topic exactly once with its
 * ticket, keyed by couponId; and a Kafka outage answers 503 and leaves the gate as before.
 */
import t from 'tap';
import { readTopic } from '../../helpers/kafka-read.js';
import { startPrivateBroker } from '../../helpers/kafka-broker.js';
import { createCoupon, issue, request, startTestService } from '../../helpers/service.js';

t.test('every admitted request is in Kafka exactly once with its ticket', async (t) => {
  const svc = await startTestService({ ROLE: 'api' });
  t.teardown(() => svc.stop());
  const couponId = await createCoupon(svc, { totalQuantity: 150 });
  const responses = await Promise.all(Array.from({ length: 400 }, (_, i) => issue(svc, couponId, `k-${i}`)));
  const admitted = new Map<string, number>();
  responses.forEach((r, i) => {
    if (r.status === 202) admitted.set(`k-${i}`, r.body['ticket'] as number);
  });
  t.equal(admitted.size, 150);

  const messages = await readTopic(svc.config.kafka.brokers, svc.config.kafka.topic, admitted.size);
  t.equal(messages.length, admitted.size, 'one message per admission, no more');
  const byUser = new Map(messages.map((m) => [m.userId, m]));
  t.equal(byUser.size, messages.length, 'no user twice');
  for (const [userId, ticket] of admitted) {
    const message = byUser.get(userId);
    if (message === undefined || message.ticket !== ticket || message.couponId !== couponId || message.key !== String(couponId)) {
      t.fail(`message for ${userId} missing or wrong: ${JSON.stringify(message)}`);
      return;
    }
  }
  t.pass('each message carries its user, ticket and couponId key');
});

t.test('a Kafka outage answers 503 UNAVAILABLE and leaves the gate as before', async (t) => {
  const broker = await startPrivateBroker(19092);
  t.teardown(() => broker.destroy());
  const svc = await startTestService({ ROLE: 'api', KAFKA_BROKERS: broker.brokers });
  t.teardown(() => svc.stop());
  const couponId = await createCoupon(svc, { totalQuantity: 10 });
  t.equal((await issue(svc, couponId, 'before-1')).status, 202, 'admitted while Kafka is up');

  await broker.stop();
  const during = await Promise.all(['down-1', 'down-2', 'down-3'].map((user) => issue(svc, couponId, user)));
  for (const response of during) {
    t.equal(response.status, 503);
    t.equal((response.body['error'] as { code: string }).code, 'UNAVAILABLE');
  }
  const coupon = await request(`${svc.url}/api/coupons/${couponId}`);
  t.match(coupon.body, { admitted: 1, remaining: 9 }, 'the failed admissions were released');
  const status = await request(`${svc.url}/api/coupons/${couponId}/issue/down-1`);
  t.equal(status.status, 404, 'no trace of the refused user');

  await broker.start();
  let retried = await issue(svc, couponId, 'down-1');
  for (let i = 0; i < 20 && retried.status === 503; i++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    retried = await issue(svc, couponId, 'down-1');
  }
  t.equal(retried.status, 202, 'the user may retry once Kafka is back');
  t.equal(retried.body['ticket'], 5, 'tickets are never reused: 1, then 2-4 released, then 5');
});

t.test('a produce request the broker writes after the producer gave up does not swallow the next 202', async (t) => {
  // A frozen broker (SIGSTOP) keeps the connection open and the request unread; the
  // producer times out and the user gets 503; thawed, the broker writes that request
  // anyway. kafkajs's idempotent producer then reused the failed batch's sequence number
  // for the next batch, which the broker took for a duplicate: acknowledged, never written.
  const broker = await startPrivateBroker(19592);
  t.teardown(() => broker.destroy());
  const svc = await startTestService({ ROLE: 'api', KAFKA_BROKERS: broker.brokers, KAFKA_PARTITIONS: '1' });
  t.teardown(() => svc.stop());
  const couponId = await createCoupon(svc, { totalQuantity: 10 });
  t.equal((await issue(svc, couponId, 'before')).status, 202, 'admitted while Kafka answers');

  broker.freeze();
  const inDoubt = await issue(svc, couponId, 'in-doubt');
  broker.thaw();
  t.equal(inDoubt.status, 503, 'the request the broker did not answer in time is refused');

  const after = await issue(svc, couponId, 'after');
  t.equal(after.status, 202, 'the next request is admitted');
  const users = (await readTopic(svc.config.kafka.brokers, svc.config.kafka.topic, 3)).map((m) => m.userId);
  t.ok(users.includes('before') && users.includes('after'), `every 202 is in the topic (found: ${users.join(', ')})`);
});
