/**
 * kafkajs 2.2.4 (its last release) re-arms a timer after every pending-request check even
 * when nothing is pending: a 1 ms busy loop per broker connection that costs CPU the front
 * door needs (kafkajs #1556). patches/kafkajs+2.2.4.patch, applied by patch-package on
 * install, stops it; this checks the installed kafkajs on the real broker.
 */
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../../src/logger.js';
import { createKafka, ensureTopics } from '../../../src/queue/kafka/client.js';
import { testConfig } from '../../helpers/env.js';

t.test('an idle kafkajs connection arms no timers', async (t) => {
  const config = testConfig();
  const kafka = createKafka(config.kafka, createLogger(config.log));
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, config.kafka);
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  t.teardown(() => producer.disconnect());
  await producer.send({ topic: config.kafka.topic, messages: [{ value: 'idle check' }] });
  await sleep(50);

  const realSetTimeout = globalThis.setTimeout;
  let armed = 0;
  globalThis.setTimeout = ((...args: Parameters<typeof realSetTimeout>) => {
    armed++;
    return realSetTimeout(...args);
  }) as typeof realSetTimeout;
  try {
    await new Promise((resolve) => realSetTimeout(resolve, 200));
  } finally {
    globalThis.setTimeout = realSetTimeout;
  }
  // Unpatched, this counted about 180 timers in the 200 ms.
  t.ok(armed < 5, `timers armed in 200 ms of idleness: ${armed}`);
});
