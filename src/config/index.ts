/**
 * Reads and validates the configuration once, into a frozen typed object. Nothing else in
 * the code base reads process.env: everything receives a Config.
 */
import { AppError } from '../errors.js';
import { VARIABLES, InvalidValue, flagOf, type VariableName } from './variables.js';

export type Role = 'all' | 'api' | 'consumer';
export type QueueKind = 'kafka' | 'redis';
export type PartitionKey = 'couponId' | 'userId';

export interface Config {
  readonly role: Role;
  readonly http: { readonly host: string; readonly port: number; readonly bodyLimitBytes: number };
  /** Undefined until the service generates one at start (see app.ts). */
  readonly adminToken: string | undefined;
  readonly redis: { readonly url: string; readonly autoPipelining: boolean; readonly commandTimeoutMs: number };
  readonly mysql: { readonly url: string; readonly poolSize: number; readonly database: string };
  readonly queue: QueueKind;
  readonly kafka: {
    readonly brokers: readonly string[];
    /** True when KAFKA_BROKERS was not given: the local stack manages a broker. */
    readonly local: boolean;
    readonly clientId: string;
    readonly topic: string;
    readonly dlqTopic: string;
    readonly issuedTopic: string | undefined;
    readonly partitions: number;
    readonly partitionKey: PartitionKey;
    readonly groupId: string;
    readonly lingerMs: number;
    readonly batchMax: number;
    readonly maxWaitMs: number;
    readonly maxBytesPerPartition: number;
    readonly sessionTimeoutMs: number;
  };
  /** Limits of admitted requests waiting for the queue (beyond them: 503 before the gate). */
  readonly handoff: { readonly maxWaiting: number; readonly stallMs: number };
  readonly reconcile: { readonly intervalMs: number };
  readonly writer: {
    readonly threads: number;
    readonly chunkRows: number;
    readonly retryAttempts: number;
    readonly retryBaseMs: number;
    readonly redisQueueBatch: number;
  };
  readonly log: { readonly level: string; readonly pretty: boolean };
  readonly stack: { readonly dir: string; readonly cacheDir: string };
}

export interface ConfigSource {
  env?: Readonly<Record<string, string | undefined>>;
  /** CLI flags such as ["--port", "9000"] or ["--port=9000"]; they win over env. */
  argv?: readonly string[];
}

const FLAG_TO_NAME = new Map(Object.keys(VARIABLES).map((name) => [flagOf(name), name as VariableName]));

function collectRaw(source: ConfigSource): Map<VariableName, string> {
  const raw = new Map<VariableName, string>();
  const env = source.env ?? {};
  for (const name of Object.keys(VARIABLES) as VariableName[]) {
    const value = env[name];
    if (value !== undefined) raw.set(name, value);
  }
  const argv = source.argv ?? [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    const name = FLAG_TO_NAME.get(flag);
    if (name === undefined) throw new AppError('CONFIG_INVALID', `Invalid configuration: unknown option ${flag}`);
    const value: string | undefined = eq === -1 ? argv[i + 1] : arg.slice(eq + 1);
    if (eq === -1) i++;
    if (value === undefined) throw new AppError('CONFIG_INVALID', `Invalid configuration: ${flag} needs a value`);
    raw.set(name, value);
  }
  return raw;
}

/** Parses every variable; the first bad one stops with a line naming it. */
function parseAll(raw: Map<VariableName, string>): Record<VariableName, unknown> {
  const parsed = {} as Record<VariableName, unknown>;
  for (const [name, variable] of Object.entries(VARIABLES) as [VariableName, (typeof VARIABLES)[VariableName]][]) {
    const given = raw.get(name);
    const input = given ?? variable.default;
    if (input === undefined) {
      parsed[name] = undefined;
      continue;
    }
    try {
      parsed[name] = variable.parse(input);
    } catch (err) {
      if (!(err instanceof InvalidValue)) throw err;
      const shown = name === 'ADMIN_TOKEN' ? '(hidden)' : JSON.stringify(input);
      throw new AppError('CONFIG_INVALID', `Invalid configuration: ${name} ${err.message} (got ${shown})`);
    }
  }
  return parsed;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

export function loadConfig(source: ConfigSource = {}): Config {
  const raw = collectRaw(source);
  const v = parseAll(raw);
  const partitions = v.KAFKA_PARTITIONS as number;
  const topic = v.KAFKA_TOPIC as string;
  const mysqlUrl = v.MYSQL_URL as string;
  const config: Config = {
    role: v.ROLE as Role,
    http: { host: v.HOST as string, port: v.PORT as number, bodyLimitBytes: v.BODY_LIMIT_BYTES as number },
    adminToken: v.ADMIN_TOKEN as string | undefined,
    redis: {
      url: v.REDIS_URL as string,
      autoPipelining: v.REDIS_AUTO_PIPELINING as boolean,
      commandTimeoutMs: v.REDIS_COMMAND_TIMEOUT_MS as number,
    },
    mysql: { url: mysqlUrl, poolSize: v.MYSQL_POOL_SIZE as number, database: new URL(mysqlUrl).pathname.slice(1) },
    queue: v.QUEUE as QueueKind,
    kafka: {
      brokers: v.KAFKA_BROKERS as string[],
      local: !raw.has('KAFKA_BROKERS'),
      clientId: v.KAFKA_CLIENT_ID as string,
      topic,
      dlqTopic: (v.KAFKA_DLQ_TOPIC as string | undefined) ?? `${topic}.dlq`,
      issuedTopic: v.KAFKA_ISSUED_TOPIC as string | undefined,
      partitions,
      partitionKey: v.KAFKA_PARTITION_KEY as PartitionKey,
      groupId: v.KAFKA_GROUP_ID as string,
      lingerMs: v.PRODUCER_LINGER_MS as number,
      batchMax: v.PRODUCER_BATCH_MAX as number,
      maxWaitMs: v.CONSUMER_MAX_WAIT_MS as number,
      maxBytesPerPartition: v.CONSUMER_MAX_BYTES_PER_PARTITION as number,
      sessionTimeoutMs: v.CONSUMER_SESSION_TIMEOUT_MS as number,
    },
    handoff: { maxWaiting: v.HANDOFF_MAX_WAITING as number, stallMs: v.HANDOFF_STALL_MS as number },
    reconcile: { intervalMs: v.RECONCILE_INTERVAL_MS as number },
    writer: {
      threads: (v.WORKER_THREADS as number | undefined) ?? partitions,
      chunkRows: v.WRITER_CHUNK_ROWS as number,
      retryAttempts: v.WRITER_RETRY_ATTEMPTS as number,
      retryBaseMs: v.WRITER_RETRY_BASE_MS as number,
      redisQueueBatch: v.REDIS_QUEUE_BATCH as number,
    },
    log: { level: v.LOG_LEVEL as string, pretty: v.LOG_PRETTY as boolean },
    stack: { dir: v.STACK_DIR as string, cacheDir: v.STACK_CACHE_DIR as string },
  };
  return deepFreeze(config);
}
