/**
 * The hand-off to Kafka: every admitted request is in the topic exactly once with its
 * ticket, keyed by couponId. While Kafka fails, admitted requests wait and are resent until
 * acknowledged (a failed send may have been written, so it can be neither undone nor
 * answered 503), and new requests are refused before the gate, leaving no trace.
 */
import { register } from 'prom-client';
import t from 'tap';
import { readTopic } from '../../helpers/kafka-read.js';
import { startPrivateBroker } from '../../helpers/kafka-broker.js';
import { createCoupon, issue, request, startTestService } from '../../helpers/service.js';

/** This process's /metrics: the sum of the samples of `name` (all labels). */
async function metric(name: string): Promise<number> {
  const text = await register.getSingleMetricAsString(name);
  return text.split('\n').filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`)).reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

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

t.test('a Kafka outage: admitted requests wait and end 202, new ones get 503 before the gate and leave no trace', async (t) => {
  const broker = await startPrivateBroker(19092);
  t.teardown(() => broker.destroy());
  const svc = await startTestService({ ROLE: 'api', KAFKA_BROKERS: broker.brokers });
  t.teardown(() => svc.stop());
  const couponId = await createCoupon(svc, { totalQuantity: 100 });
  t.equal((await issue(svc, couponId, 'before-1')).status, 202, 'admitted while Kafka is up');

  const shedBefore = await metric('flash_coupon_shed_requests_total');
  await broker.stop();
  // Asked one after another while the first failing send is retried: those admitted before it
  // failed are held until Kafka is back; from then on new requests are refused at once.
  const asked: { user: string; answer: ReturnType<typeof issue> }[] = [];
  let refusedUser: string | undefined;
  for (let i = 0; i < 60 && refusedUser === undefined; i++) {
    const user = `down-${i}`;
    const answer = issue(svc, couponId, user);
    asked.push({ user, answer });
    const first = await Promise.race([answer, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 250))]);
    if (first?.status === 503) refusedUser = user;
  }
  if (refusedUser === undefined) {
    t.fail('no request was refused while Kafka was down');
    return;
  }
  const refusal = await asked[asked.length - 1]!.answer;
  t.equal(await metric('flash_coupon_handoff_circuit_open'), 1, 'the circuit is open on /metrics');
  t.ok((await metric('flash_coupon_shed_requests_total')) > shedBefore, 'shed requests counted (by reason: failing or stalled)');
  t.equal((refusal.body['error'] as { code: string }).code, 'UNAVAILABLE');
  t.equal((await request(`${svc.url}/api/coupons/${couponId}/issue/${refusedUser}`)).status, 404, 'no trace of the refused user');

  await broker.start();
  const answers = await Promise.all(asked.map((entry) => entry.answer));
  const held = asked.filter((_, i) => answers[i]!.status === 202).map((entry) => entry.user);
  t.ok(held.length >= 1, `requests admitted before the send failed waited and ended 202: ${held.join(', ')}`);
  t.ok(answers.every((answer) => answer.status === 202 || answer.status === 503), 'every request got 202 or 503');
  let retried = await issue(svc, couponId, refusedUser);
  for (let i = 0; i < 40 && retried.status === 503; i++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    retried = await issue(svc, couponId, refusedUser);
  }
  t.equal(retried.status, 202, 'the refused user may retry once Kafka is back');
  t.equal(await metric('flash_coupon_handoff_circuit_open'), 0, 'the probe (the resend) went through: the circuit is closed again');
  const users = new Set((await readTopic(svc.config.kafka.brokers, svc.config.kafka.topic, held.length + 2)).map((m) => m.userId));
  const missing = ['before-1', refusedUser, ...held].filter((user) => !users.has(user));
  t.same(missing, [], 'every 202 is in the topic');
});

t.test('a send the frozen broker never answered is resent: the waiting request ends 202, and so does the next', async (t) => {
  // A frozen broker (SIGSTOP) keeps the connection open and the request unread; the send
  // times out and is resent; thawed, the broker may write both copies (one row is stored).
  // kafkajs's idempotent producer once reused the failed batch's sequence number for the
  // next batch, which the broker took for a duplicate: acknowledged, never written.
  const broker = await startPrivateBroker(19592);
  t.teardown(() => broker.destroy());
  const svc = await startTestService({ ROLE: 'api', KAFKA_BROKERS: broker.brokers, KAFKA_PARTITIONS: '1' });
  t.teardown(() => svc.stop());
  const couponId = await createCoupon(svc, { totalQuantity: 10 });
  t.equal((await issue(svc, couponId, 'before')).status, 202, 'admitted while Kafka answers');

  broker.freeze();
  const inDoubt = issue(svc, couponId, 'in-doubt');
  // Past kafkajs's request timeout (10 s): the first send has failed and is being resent.
  await new Promise((resolve) => setTimeout(resolve, 11_000));
  broker.thaw();
  t.equal((await inDoubt).status, 202, 'the request whose send failed is answered 202 once a resend is acknowledged');

  let after = await issue(svc, couponId, 'after');
  for (let i = 0; i < 40 && after.status === 503; i++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    after = await issue(svc, couponId, 'after');
  }
  t.equal(after.status, 202, 'the next request is admitted');
  const users = new Set((await readTopic(svc.config.kafka.brokers, svc.config.kafka.topic, 3)).map((m) => m.userId));
  t.ok(users.has('before') && users.has('in-doubt') && users.has('after'), `every 202 is in the topic (found: ${[...users].join(', ')})`);
});
