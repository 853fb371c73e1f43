/**
 * The Kafka broker frozen for 15 s mid-sale (SIGSTOP, then SIGCONT): admitted requests wait
 * for their hand-off (resent until acknowledged) and end stored; new requests are refused
 * before the gate while the send stalls; the whole stock is sold once Kafka is back.
 */
import t from 'tap';
import { uniqueName } from '../helpers/env.js';
import { startPrivateBroker } from '../helpers/kafka-broker.js';
import { startPrivateRedis } from '../helpers/redis-server.js';
import { issue, startTestService } from '../helpers/service.js';
import { checkPromises, releasedTotal, startSale, waitFor } from './harness.js';

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

t.test('the Kafka broker frozen 15 s mid-sale', async (t) => {
  const redis = await startPrivateRedis(16428);
  t.teardown(() => redis.stop());
  const broker = await startPrivateBroker(19730);
  t.teardown(() => broker.destroy());
  const svc = await startTestService({ ROLE: 'all', REDIS_URL: redis.url, KAFKA_BROKERS: broker.brokers, WORKER_THREADS: '2' });
  t.teardown(() => svc.stop());
  const releasedBefore = await releasedTotal(svc.url);
  const stock = 2000;
  const prefix = uniqueName('broker-frozen');
  // Users wait up to 40 s for an answer: an admitted request waits out the freeze.
  const sale = await startSale(svc, { users: 5000, stock, rate: 800, prefix, timeoutMs: 40000 });
  await waitFor(async () => sale.sent(), (sent) => sent >= 1000, 30000);
  broker.freeze();
  // Past HANDOFF_STALL_MS (5 s) a stalled send refuses new users before the gate, at once.
  await pause(6000);
  const probes = Array.from({ length: 20 }, (_, i) => `${prefix}-during-${i}`);
  const answers = await Promise.all(probes.map((userId) => issue(svc, sale.couponId, userId)));
  probes.forEach((userId, i) => sale.outcomes.set(userId, answers[i]?.status ?? 0));
  t.same(
    answers.map((answer) => [answer.status, (answer.body['error'] as { code?: string } | undefined)?.code]),
    probes.map(() => [503, 'UNAVAILABLE']),
    'new users are refused with 503 UNAVAILABLE while the hand-off stalls',
  );
  await pause(9000);
  broker.thaw();
  const faultEndedAt = Date.now();
  t.pass(`broker frozen 15 s after ${sale.sent()} requests`);
  await sale.done;
  const answeredAfterMs = Date.now() - faultEndedAt;
  await checkPromises(t, { scenario: 'Kafka broker frozen 15 s', config: svc.config, url: svc.url, sale, stock, faultEndedAt, prefix, releasedBefore, figures: { answeredAfterMs } });
});
