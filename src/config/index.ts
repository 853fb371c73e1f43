/**
 * Reads and validates the configuration once, into a frozen typed object. Nothing else in
 * the code base reads process.env: everything receives a Config. Its types follow from the
 * variables table: a parser that changes what it returns changes Config with it.
 */
import { readVariables, type ConfigSource, type ReadVariables } from './read.js';
import { AppError } from '../errors.js';
import { VARIABLES, redisClusterOf, type RedisClusterTarget, type Values } from './variables.js';

export type { ConfigSource } from './read.js';
export type { RedisClusterTarget } from './variables.js';

/** Every variable of the table, as parsed. */
export type Settings = Values<typeof VARIABLES>;
export type Role = Settings['ROLE'];
export type QueueKind = Settings['QUEUE'];
export type PartitionKey = Settings['KAFKA_PARTITION_KEY'];

type S = Settings;

export interface Config {
  readonly role: Role;
  readonly http: { readonly host: S['HOST']; readonly port: S['PORT']; readonly bodyLimitBytes: S['BODY_LIMIT_BYTES']; readonly threads: S['FRONT_DOOR_THREADS'] };
  /** Undefined until the service generates one at start (see app.ts). */
  readonly adminToken: S['ADMIN_TOKEN'];
  readonly redis: {
    readonly url: S['REDIS_URL'];
    /** The seed nodes when REDIS_URL names a Redis Cluster (redis+cluster://...). */
    readonly cluster: RedisClusterTarget | undefined;
    readonly autoPipelining: S['REDIS_AUTO_PIPELINING']; readonly commandTimeoutMs: S['REDIS_COMMAND_TIMEOUT_MS'];
    readonly waitReplicas: S['REDIS_WAIT_REPLICAS'];
  };
  readonly mysql: { readonly url: S['MYSQL_URL']; readonly poolSize: S['MYSQL_POOL_SIZE']; readonly database: string };
  readonly queue: QueueKind;
  readonly kafka: {
    readonly brokers: Readonly<S['KAFKA_BROKERS']>;
    /** True when KAFKA_BROKERS was not given: the local stack manages a broker. */
    readonly local: boolean;
    readonly clientId: S['KAFKA_CLIENT_ID'];
    readonly topic: S['KAFKA_TOPIC'];
    /** KAFKA_DLQ_TOPIC, or <topic>.dlq. */
    readonly dlqTopic: string;
    readonly issuedTopic: S['KAFKA_ISSUED_TOPIC'];
    readonly partitions: S['KAFKA_PARTITIONS'];
    /** KAFKA_REPLICATION_FACTOR; undefined: 3, or the broker count when fewer (asked at start). */
    readonly replicationFactor: S['KAFKA_REPLICATION_FACTOR'];
    readonly partitionKey: PartitionKey;
    readonly groupId: S['KAFKA_GROUP_ID'];
    readonly lingerMs: S['PRODUCER_LINGER_MS'];
    readonly batchMax: S['PRODUCER_BATCH_MAX'];
    readonly maxWaitMs: S['CONSUMER_MAX_WAIT_MS'];
    readonly maxBytesPerPartition: S['CONSUMER_MAX_BYTES_PER_PARTITION'];
    readonly sessionTimeoutMs: S['CONSUMER_SESSION_TIMEOUT_MS'];
  };
  /** Limits of admitted requests waiting for the queue (beyond them: 503 before the gate). */
  readonly handoff: { readonly maxWaiting: S['HANDOFF_MAX_WAITING']; readonly stallMs: S['HANDOFF_STALL_MS'] };
  readonly reconcile: { readonly intervalMs: S['RECONCILE_INTERVAL_MS'] };
  readonly writer: {
    /** WORKER_THREADS, or the partition count. */
    readonly threads: number;
    readonly chunkRows: S['WRITER_CHUNK_ROWS'];
    readonly retryAttempts: S['WRITER_RETRY_ATTEMPTS'];
    readonly retryBaseMs: S['WRITER_RETRY_BASE_MS'];
    readonly lockWaitTimeoutS: S['WRITER_LOCK_WAIT_TIMEOUT_S'];
    readonly redisQueueBatch: S['REDIS_QUEUE_BATCH'];
  };
  readonly log: { readonly level: S['LOG_LEVEL']; readonly pretty: S['LOG_PRETTY'] };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/**
 * The Config of variables already read; a caller that reads a wider table (the local
 * stack's settings too, from one command line) passes its result here.
 */
export function configFrom(read: ReadVariables<typeof VARIABLES>): Config {
  const { values: v, given } = read;
  const cluster = redisClusterOf(v.REDIS_URL);
  if (cluster !== undefined && v.QUEUE === 'redis') {
    // admit-4.lua pushes to the one pending list in the same step as a coupon's keys: on a
    // cluster those cannot share a slot for every coupon.
    throw new AppError('CONFIG_INVALID', 'Invalid configuration: QUEUE=redis needs a single Redis, not a Redis Cluster (REDIS_URL redis+cluster://...): use QUEUE=kafka on a cluster');
  }
  const config: Config = {
    role: v.ROLE,
    http: { host: v.HOST, port: v.PORT, bodyLimitBytes: v.BODY_LIMIT_BYTES, threads: v.FRONT_DOOR_THREADS },
    adminToken: v.ADMIN_TOKEN,
    redis: { url: v.REDIS_URL, cluster, autoPipelining: v.REDIS_AUTO_PIPELINING, commandTimeoutMs: v.REDIS_COMMAND_TIMEOUT_MS, waitReplicas: v.REDIS_WAIT_REPLICAS },
    mysql: { url: v.MYSQL_URL, poolSize: v.MYSQL_POOL_SIZE, database: new URL(v.MYSQL_URL).pathname.slice(1) },
    queue: v.QUEUE,
    kafka: {
      brokers: v.KAFKA_BROKERS,
      local: !given.has('KAFKA_BROKERS'),
      clientId: v.KAFKA_CLIENT_ID,
      topic: v.KAFKA_TOPIC,
      dlqTopic: v.KAFKA_DLQ_TOPIC ?? `${v.KAFKA_TOPIC}.dlq`,
      issuedTopic: v.KAFKA_ISSUED_TOPIC,
      partitions: v.KAFKA_PARTITIONS,
      replicationFactor: v.KAFKA_REPLICATION_FACTOR,
      partitionKey: v.KAFKA_PARTITION_KEY,
      groupId: v.KAFKA_GROUP_ID,
      lingerMs: v.PRODUCER_LINGER_MS,
      batchMax: v.PRODUCER_BATCH_MAX,
      maxWaitMs: v.CONSUMER_MAX_WAIT_MS,
      maxBytesPerPartition: v.CONSUMER_MAX_BYTES_PER_PARTITION,
      sessionTimeoutMs: v.CONSUMER_SESSION_TIMEOUT_MS,
    },
    handoff: { maxWaiting: v.HANDOFF_MAX_WAITING, stallMs: v.HANDOFF_STALL_MS },
    reconcile: { intervalMs: v.RECONCILE_INTERVAL_MS },
    writer: {
      threads: v.WORKER_THREADS ?? v.KAFKA_PARTITIONS,
      chunkRows: v.WRITER_CHUNK_ROWS,
      retryAttempts: v.WRITER_RETRY_ATTEMPTS,
      retryBaseMs: v.WRITER_RETRY_BASE_MS,
      lockWaitTimeoutS: v.WRITER_LOCK_WAIT_TIMEOUT_S,
      redisQueueBatch: v.REDIS_QUEUE_BATCH,
    },
    log: { level: v.LOG_LEVEL, pretty: v.LOG_PRETTY },
  };
  return deepFreeze(config);
}

/** Flags win over env, env over defaults. Throws UsageError for a flag it does not know, AppError CONFIG_INVALID for a bad value. */
export function loadConfig(source: ConfigSource = {}): Config {
  return configFrom(readVariables(VARIABLES, source));
}
