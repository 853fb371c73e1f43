/**
 * The optional coupon-issued events for a consumer that is not itself on Kafka (QUEUE=redis):
 * a publisher on the issued topic, or undefined when none is configured.
 */
import type { Config } from '../../config/index.js';
import type { Logger } from '../../logger.js';
import { createKafka, ensureTopics } from './client.js';
import { connectKafkaPublisher, type KafkaPublisher } from './publisher.js';

export type IssuedPublisher = KafkaPublisher;

export async function connectIssuedPublisher(settings: Config['kafka'], log: Logger): Promise<IssuedPublisher | undefined> {
  if (settings.issuedTopic === undefined) return undefined;
  const kafka = createKafka(settings, log, '-writer');
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, settings);
  } finally {
    await admin.disconnect();
  }
  return connectKafkaPublisher(kafka, settings);
}
