/**
 * The kafkajs client and topic set-up, behind functions of our own so nothing else
 * depends on kafkajs's shapes. kafkajs's log lines are routed into pino.
 */
import kafkajs, { type Kafka as KafkaClient, type Admin, type logCreator } from 'kafkajs';
import type { Config } from '../../config/index.js';
import type { Logger } from '../../logger.js';

const { Kafka, logLevel } = kafkajs;
export type { KafkaClient, Admin };

function pinoLogCreator(log: Logger): logCreator {
  return () => ({ level, log: entry }) => {
    const { message, ...rest } = entry;
    const bindings = { kafka: entry.logger, ...rest };
    // kafkajs reports every refused connection during an outage as an error; our own
    // modules log what failed for the user, so its lines are one level quieter.
    if (level === logLevel.ERROR || level === logLevel.WARN) log.warn(bindings, message);
    else if (level === logLevel.INFO) log.debug(bindings, message);
    else log.trace(bindings, message);
  };
}

export function createKafka(kafka: Config['kafka'], log: Logger, clientSuffix = ''): KafkaClient {
  return new Kafka({
    clientId: `${kafka.clientId}${clientSuffix}`,
    brokers: [...kafka.brokers],
    connectionTimeout: 3000,
    requestTimeout: 10000,
    logLevel: logLevel.INFO,
    logCreator: pinoLogCreator(log.child({ module: 'kafkajs' })),
    retry: { initialRetryTime: 100, maxRetryTime: 2000, retries: 5 },
  });
}

/**
 * Creates the request topic (with the configured partition count), its dead-letter topic
 * and the optional issued-events topic; existing topics are left as they are.
 */
export async function ensureTopics(admin: Admin, kafka: Config['kafka']): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const wanted = [
    { topic: kafka.topic, numPartitions: kafka.partitions },
    { topic: kafka.dlqTopic, numPartitions: 1 },
    ...(kafka.issuedTopic === undefined ? [] : [{ topic: kafka.issuedTopic, numPartitions: kafka.partitions }]),
  ].filter((entry) => !existing.has(entry.topic));
  if (wanted.length === 0) return;
  await admin.createTopics({
    waitForLeaders: true,
    topics: wanted.map((entry) => ({ ...entry, replicationFactor: 1 })),
  });
}
