/**
 * The kafkajs client and topic set-up, behind functions of our own so nothing else
 * depends on kafkajs's shapes. kafkajs's log lines are routed into pino.
 */
import kafkajs, { type Kafka as KafkaClient, type Admin, type logCreator } from 'kafkajs';
import type { Config } from '../../config/index.js';
import { AppError } from '../../errors.js';
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

/** Replicas per topic when KAFKA_REPLICATION_FACTOR is unset: 3, or every broker when fewer. */
export const DEFAULT_REPLICATION_FACTOR = 3;

/** The factor the service creates topics with: the configured one, or 3 capped by the brokers the cluster has. */
export async function replicationFactorFor(admin: Admin, kafka: Config['kafka']): Promise<number> {
  const { brokers } = await admin.describeCluster();
  if (kafka.replicationFactor === undefined) return Math.max(1, Math.min(DEFAULT_REPLICATION_FACTOR, brokers.length));
  // Kafka's own refusal names no variable: say which setting asks too much.
  if (kafka.replicationFactor > brokers.length) throw new AppError('CONFIG_INVALID', `Invalid configuration: KAFKA_REPLICATION_FACTOR is ${kafka.replicationFactor} but the Kafka cluster has ${brokers.length} broker(s)`);
  return kafka.replicationFactor;
}

/** One replica may be down and writes with acks=all still succeed; with one replica, it is that one. */
export function minInsyncReplicas(replicationFactor: number): number {
  return Math.max(1, replicationFactor - 1);
}

export interface TopicsReport {
  /** The request topic's replication factor as it is (created now, or found). */
  readonly replicationFactor: number;
  /** The factor new topics get. */
  readonly wanted: number;
  readonly created: readonly string[];
}

const LEADERS_WAIT_MS = 30_000;

/** A kafkajs error the broker says may pass: a topic it has not heard of yet, a leader election. */
export function isRetriableKafkaError(err: unknown): boolean {
  return err instanceof Error && (err as { retriable?: unknown }).retriable === true;
}

/**
 * Runs `attempt` again while it fails with an error that may pass, for up to `waitMs`. On a
 * multi-broker cluster a topic created a moment ago (by this process or another) is unknown
 * for a while to a broker the controller has not told yet, and kafkajs reports that at once
 * (UNKNOWN_TOPIC_OR_PARTITION): a service started then must wait, not exit.
 */
export async function whileTopicSettles<T>(attempt: () => Promise<T>, waitMs = LEADERS_WAIT_MS): Promise<T> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (!isRetriableKafkaError(err) || Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/**
 * Until every partition of `topics` has a leader. kafkajs's own wait (createTopics
 * waitForLeaders) gives up at the first broker that has not heard of a new topic yet when the
 * admin client does not retry (the service's does not), which a multi-broker cluster often is.
 */
async function waitForLeaders(admin: Admin, topics: string[]): Promise<void> {
  const deadline = Date.now() + LEADERS_WAIT_MS;
  for (;;) {
    try {
      const metadata = await admin.fetchTopicMetadata({ topics });
      if (metadata.topics.length === topics.length && metadata.topics.every((topic) => topic.partitions.length > 0 && topic.partitions.every((p) => p.leader >= 0))) return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline) throw new Error(`Kafka topics ${topics.join(', ')} have no leader after ${LEADERS_WAIT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Creates the request topic (with the configured partition count), its dead-letter topic
 * and the optional issued-events topic, each with the replication factor above and
 * min.insync.replicas one less; existing topics are left as they are.
 */
export async function ensureTopics(admin: Admin, kafka: Config['kafka']): Promise<TopicsReport> {
  const wanted = await replicationFactorFor(admin, kafka);
  const existing = new Set(await admin.listTopics());
  const missing = [
    { topic: kafka.topic, numPartitions: kafka.partitions },
    { topic: kafka.dlqTopic, numPartitions: 1 },
    ...(kafka.issuedTopic === undefined ? [] : [{ topic: kafka.issuedTopic, numPartitions: kafka.partitions }]),
  ].filter((entry) => !existing.has(entry.topic));
  if (missing.length > 0) {
    await admin.createTopics({
      waitForLeaders: false,
      topics: missing.map((entry) => ({
        ...entry,
        replicationFactor: wanted,
        configEntries: [{ name: 'min.insync.replicas', value: String(minInsyncReplicas(wanted)) }],
      })),
    });
  }
  const created = missing.map((entry) => entry.topic);
  if (created.length > 0) await waitForLeaders(admin, created);
  // A topic created a moment ago may be unknown yet to the broker asked: trust the request.
  if (created.includes(kafka.topic)) return { replicationFactor: wanted, wanted, created };
  const metadata = await whileTopicSettles(() => admin.fetchTopicMetadata({ topics: [kafka.topic] }));
  return { replicationFactor: metadata.topics[0]?.partitions[0]?.replicas.length ?? wanted, wanted, created };
}
