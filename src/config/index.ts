/**
 * Reads and validates the configuration once, into a frozen typed object. Nothing else in
 * the code base reads process.env: everything receives a Config. Its types follow from the
 * variables table: a parser that changes what it returns changes Config with it.
 */
import { availableParallelism } from 'node:os';
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
export type UserAuth = Settings['USER_AUTH'];

type S = Settings;

export interface Config {
  readonly role: Role;
  readonly production: boolean;
  readonly http: {
    readonly host: S['HOST'];
    readonly port: S['PORT'];
    readonly bodyLimitBytes: S['BODY_LIMIT_BYTES'];
    readonly allowUwsFallback: S['UWS_ALLOW_FALLBACK'];
    readonly trustProxy: S['TRUST_PROXY'];
    readonly threads: S['FRONT_DOOR_THREADS'];
  };
  /** The operations listener; undefined: its routes stay on the public port. */
  readonly ops: { readonly host: S['OPS_HOST']; readonly port: number } | undefined;
  readonly shutdownTimeoutMs: S['SHUTDOWN_TIMEOUT_MS'];
  readonly auth: {
    readonly mode: UserAuth;
    readonly secret: S['JWT_SECRET'];
    readonly publicKey: S['JWT_PUBLIC_KEY'];
    readonly jwksUrl: S['JWT_JWKS_URL'];
    readonly issuer: S['JWT_ISSUER'];
    readonly audience: S['JWT_AUDIENCE'];
  };
  /** Token buckets on issue requests; a rate of 0 is off. */
  readonly rateLimit: {
    readonly address: { readonly perSecond: S['RATE_LIMIT_ADDRESS_PER_S']; readonly burst: S['RATE_LIMIT_ADDRESS_BURST'] };
    readonly user: { readonly perSecond: S['RATE_LIMIT_USER_PER_S']; readonly burst: S['RATE_LIMIT_USER_BURST'] };
  };
  /** Undefined until the service generates one at start (see app.ts). */
  readonly adminToken: S['ADMIN_TOKEN'];
  readonly redis: {
    readonly url: S['REDIS_URL'];
    /** The seed nodes when REDIS_URL names a Redis Cluster (redis+cluster://...). */
    readonly cluster: RedisClusterTarget | undefined;
    readonly autoPipelining: S['REDIS_AUTO_PIPELINING'];
    readonly commandTimeoutMs: S['REDIS_COMMAND_TIMEOUT_MS'];
    readonly waitReplicas: S['REDIS_WAIT_REPLICAS'];
  };
  readonly mysql: {
    readonly url: S['MYSQL_URL'];
    readonly poolSize: S['MYSQL_POOL_SIZE'];
    readonly queryTimeoutMs: S['MYSQL_QUERY_TIMEOUT_MS'];
    readonly queueLimit: S['MYSQL_QUEUE_LIMIT'];
    readonly database: string;
  };
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
    readonly consumerLingerMs: S['CONSUMER_LINGER_MS'];
    readonly maxBytesPerPartition: S['CONSUMER_MAX_BYTES_PER_PARTITION'];
    readonly sessionTimeoutMs: S['CONSUMER_SESSION_TIMEOUT_MS'];
  };
  /** Limits of admitted requests waiting for the queue (beyond them: 503 before the gate). */
  readonly handoff: { readonly maxWaiting: S['HANDOFF_MAX_WAITING']; readonly stallMs: S['HANDOFF_STALL_MS'] };
  readonly reconcile: { readonly intervalMs: S['RECONCILE_INTERVAL_MS'] };
  readonly writer: {
    /** WORKER_THREADS, or defaultWriterThreads (the partition count, at most the cores less one). */
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

function invalid(message: string): AppError {
  return new AppError('CONFIG_INVALID', `Invalid configuration: ${message}`);
}

/** Rules that span several variables. */
function checkCombinations(v: Settings): void {
  // A generated token differs per process and ends up in logs: fine on a laptop only.
  if (v.NODE_ENV === 'production' && v.ROLE !== 'consumer' && v.ADMIN_TOKEN === undefined) {
    throw invalid(`ADMIN_TOKEN must be set when NODE_ENV=production (role ${v.ROLE} serves the admin API)`);
  }
  if (v.USER_AUTH === 'jwt') {
    const keys = [v.JWT_SECRET, v.JWT_PUBLIC_KEY, v.JWT_JWKS_URL].filter((key) => key !== undefined).length;
    if (keys !== 1) throw invalid('USER_AUTH=jwt needs exactly one of JWT_SECRET, JWT_PUBLIC_KEY, JWT_JWKS_URL');
  }
}

/**
 * Writer threads when WORKER_THREADS is unset: one per partition, but no more than the cores
 * left after one for the front door and the event loop. On 2 cores shared with the front
 * door, 1 thread stored a many-coupon sale in larger transactions and answered 27 % more
 * requests than 3 (docs/TUNING.md).
 */
export function defaultWriterThreads(partitions: number, cores: number): number {
  return Math.min(partitions, Math.max(1, cores - 1));
}

/**
 * The Config of variables already read; a caller that reads a wider table (the local
 * stack's settings too, from one command line) passes its result here.
 */
export function configFrom(read: ReadVariables<typeof VARIABLES>, cores = availableParallelism()): Config {
  const { values: v, given } = read;
  checkCombinations(v);
  const cluster = redisClusterOf(v.REDIS_URL);
  if (cluster !== undefined && v.QUEUE === 'redis') {
    // admit-4.lua pushes to the one pending list in the same step as a coupon's keys: on a
    // cluster those cannot share a slot for every coupon.
    throw new AppError('CONFIG_INVALID', 'Invalid configuration: QUEUE=redis needs a single Redis, not a Redis Cluster (REDIS_URL redis+cluster://...): use QUEUE=kafka on a cluster');
  }
  const config: Config = {
    role: v.ROLE,
    production: v.NODE_ENV === 'production',
    http: { host: v.HOST, port: v.PORT, bodyLimitBytes: v.BODY_LIMIT_BYTES, allowUwsFallback: v.UWS_ALLOW_FALLBACK, trustProxy: v.TRUST_PROXY, threads: v.FRONT_DOOR_THREADS },
    ops: v.OPS_PORT === undefined ? undefined : { host: v.OPS_HOST, port: v.OPS_PORT },
    shutdownTimeoutMs: v.SHUTDOWN_TIMEOUT_MS,
    auth: { mode: v.USER_AUTH, secret: v.JWT_SECRET, publicKey: v.JWT_PUBLIC_KEY, jwksUrl: v.JWT_JWKS_URL, issuer: v.JWT_ISSUER, audience: v.JWT_AUDIENCE },
    rateLimit: {
      address: { perSecond: v.RATE_LIMIT_ADDRESS_PER_S, burst: v.RATE_LIMIT_ADDRESS_BURST },
      user: { perSecond: v.RATE_LIMIT_USER_PER_S, burst: v.RATE_LIMIT_USER_BURST },
    },
    adminToken: v.ADMIN_TOKEN,
    redis: { url: v.REDIS_URL, cluster, autoPipelining: v.REDIS_AUTO_PIPELINING, commandTimeoutMs: v.REDIS_COMMAND_TIMEOUT_MS, waitReplicas: v.REDIS_WAIT_REPLICAS },
    mysql: {
      url: v.MYSQL_URL,
      poolSize: v.MYSQL_POOL_SIZE,
      queryTimeoutMs: v.MYSQL_QUERY_TIMEOUT_MS,
      queueLimit: v.MYSQL_QUEUE_LIMIT,
      database: new URL(v.MYSQL_URL).pathname.slice(1),
    },
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
      consumerLingerMs: v.CONSUMER_LINGER_MS,
      maxBytesPerPartition: v.CONSUMER_MAX_BYTES_PER_PARTITION,
      sessionTimeoutMs: v.CONSUMER_SESSION_TIMEOUT_MS,
    },
    handoff: { maxWaiting: v.HANDOFF_MAX_WAITING, stallMs: v.HANDOFF_STALL_MS },
    reconcile: { intervalMs: v.RECONCILE_INTERVAL_MS },
    writer: {
      threads: v.WORKER_THREADS ?? defaultWriterThreads(v.KAFKA_PARTITIONS, cores),
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
  return configFrom(readVariables(VARIABLES, source), source.cores);
}
