/**
 * Every setting the service reads, as one table: environment variable, default, and how
 * the raw string is checked. The CLI flag of each is its name in kebab case
 * (`KAFKA_PARTITIONS` -> `--kafka-partitions`). The types of Config follow from the
 * parsers here; `npm run stack`'s own settings are in scripts/stack/settings.ts.
 */
export type Parsed = string | number | boolean | string[] | undefined;

export interface Variable {
  description: string;
  /** Shown in docs; `undefined` means unset by default. */
  default: string | undefined;
  parse: (raw: string) => Parsed;
}

export type VariableTable = Readonly<Record<string, Variable>>;

/** What a variable holds once read: its parser's type, or undefined when it has no default. */
export type ValueOf<V extends Variable> = V['default'] extends string ? ReturnType<V['parse']> : ReturnType<V['parse']> | undefined;

export type Values<T extends VariableTable> = { readonly [K in keyof T]: ValueOf<T[K]> };

class Invalid extends Error {}
export { Invalid as InvalidValue };

export function int(min: number, max: number): (raw: string) => number {
  return (raw) => {
    if (!/^-?\d+$/.test(raw.trim())) throw new Invalid(`must be an integer between ${min} and ${max}`);
    const value = Number(raw);
    if (value < min || value > max) throw new Invalid(`must be an integer between ${min} and ${max}`);
    return value;
  };
}

function oneOf<const T extends string>(...allowed: T[]): (raw: string) => T {
  return (raw) => {
    const found = allowed.find((value) => value === raw);
    if (found === undefined) throw new Invalid(`must be one of ${allowed.join(', ')}`);
    return found;
  };
}

export function bool(raw: string): boolean {
  if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no', 'off', ''].includes(raw.toLowerCase())) return false;
  throw new Invalid('must be true/false (or 1/0)');
}

function url(...protocols: string[]): (raw: string) => string {
  return (raw) => {
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      throw new Invalid(`must be a URL (${protocols.map((p) => `${p}//...`).join(' or ')})`);
    }
    if (!protocols.includes(parsed.protocol)) throw new Invalid(`must use ${protocols.join(' or ')}`);
    if (!parsed.hostname) throw new Invalid('must name a host');
    return raw;
  };
}

/** One Redis Cluster to reach through its seed nodes (REDIS_URL `redis+cluster://...`). */
export interface RedisClusterTarget {
  readonly nodes: readonly { readonly host: string; readonly port: number }[];
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly tls: boolean;
}

const CLUSTER_URL = /^(rediss?)\+cluster:\/\/(?:([^@/]*)@)?([^@/?#]+)\/?$/;

/**
 * `redis+cluster://[user[:password]@]host:port[,host:port...]` (`rediss+cluster` for TLS):
 * the seed nodes of a Redis Cluster; undefined for a plain redis:// URL. Any one seed that
 * answers is enough, ioredis learns the rest from it.
 */
export function redisClusterOf(raw: string): RedisClusterTarget | undefined {
  if (!/^rediss?\+cluster:/.test(raw)) return undefined;
  const match = CLUSTER_URL.exec(raw);
  if (match === null) throw new Invalid('must be redis+cluster://[user:password@]host:port[,host:port...]');
  const nodes = match[3]!.split(',').map((entry) => {
    const found = /^([A-Za-z0-9.\-_]+|\[[0-9A-Fa-f:.]+\]):(\d{1,5})$/.exec(entry.trim());
    if (found === null || Number(found[2]) > 65535) throw new Invalid(`has "${entry}", expected host:port for each cluster seed`);
    return { host: found[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(found[2]) };
  });
  const [user, ...secret] = (match[2] ?? '').split(':');
  const decode = (part: string | undefined): string | undefined => (part === undefined || part === '' ? undefined : decodeURIComponent(part));
  return { nodes, username: decode(user), password: decode(secret.length === 0 ? undefined : secret.join(':')), tls: match[1] === 'rediss' };
}

function redisUrl(raw: string): string {
  if (redisClusterOf(raw) === undefined) url('redis:', 'rediss:')(raw);
  return raw;
}

function mysqlUrl(raw: string): string {
  url('mysql:')(raw);
  const database = new URL(raw).pathname.replace(/^\//, '');
  if (!/^[A-Za-z0-9_]{1,64}$/.test(database)) throw new Invalid('must name a database of letters, digits and _ (mysql://user@host:3306/name)');
  return raw;
}

function brokers(raw: string): string[] {
  const list = raw.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  if (list.length === 0) throw new Invalid('must list at least one host:port');
  for (const entry of list) {
    if (!/^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/.test(entry)) throw new Invalid(`has "${entry}", expected host:port`);
  }
  return list;
}

function topicName(raw: string): string {
  if (!/^[A-Za-z0-9._-]{1,200}$/.test(raw)) throw new Invalid('must be 1-200 characters of A-Z a-z 0-9 . _ -');
  return raw;
}

function optionalTopic(raw: string): string | undefined {
  return raw === '' ? undefined : topicName(raw);
}

export function text(min: number, max: number): (raw: string) => string {
  return (raw) => {
    if (raw.length < min || raw.length > max) throw new Invalid(`must be ${min}-${max} characters`);
    return raw;
  };
}

function optionalToken(raw: string): string | undefined {
  if (raw === '') return undefined;
  if (raw.length < 16 || raw.length > 256 || /\s/.test(raw)) throw new Invalid('must be 16-256 characters without spaces');
  return raw;
}

function optionalInt(min: number, max: number): (raw: string) => number | undefined {
  const check = int(min, max);
  return (raw) => (raw === '' ? undefined : check(raw));
}

function optionalText(min: number, max: number): (raw: string) => string | undefined {
  const check = text(min, max);
  return (raw) => (raw === '' ? undefined : check(raw));
}

function optionalSecret(raw: string): string | undefined {
  if (raw === '') return undefined;
  // HS256 wants a key at least as long as its hash (RFC 7518 3.2).
  if (raw.length < 32 || raw.length > 1024) throw new Invalid('must be 32-1024 characters');
  return raw;
}

function optionalPem(raw: string): string | undefined {
  if (raw === '') return undefined;
  if (!/-----BEGIN PUBLIC KEY-----[\s\S]+-----END PUBLIC KEY-----/.test(raw)) throw new Invalid('must be a PEM public key (-----BEGIN PUBLIC KEY-----)');
  return raw;
}

function optionalUrl(...protocols: string[]): (raw: string) => string | undefined {
  const check = url(...protocols);
  return (raw) => (raw === '' ? undefined : check(raw));
}

export const VARIABLES = {
  ROLE: { description: 'Which parts run: all, api (front door) or consumer (batch writers)', default: 'all', parse: oneOf('all', 'api', 'consumer') },
  HOST: { description: 'Address the HTTP front door binds', default: '0.0.0.0', parse: text(1, 255) },
  PORT: { description: 'HTTP port', default: '8080', parse: int(0, 65535) },
  FRONT_DOOR_THREADS: { description: 'Front doors in this process: uWebSockets.js apps on the same port, each in its own thread with its own gate client and producer (also --threads)', default: '1', parse: int(1, 64) },
  BODY_LIMIT_BYTES: { description: 'Largest request body accepted (413 above)', default: '16384', parse: int(64, 1048576) },
  OPS_PORT: { description: 'Operations listener (/metrics, /dashboard, detailed /readyz); unset: those stay on PORT', default: undefined, parse: optionalInt(0, 65535) },
  OPS_HOST: { description: 'Address the operations listener binds', default: '127.0.0.1', parse: text(1, 255) },
  NODE_ENV: { description: 'production: the api and all roles refuse to start without ADMIN_TOKEN', default: 'development', parse: text(1, 64) },
  ADMIN_TOKEN: { description: 'Bearer token for admin routes; generated and logged once when unset (not allowed in production)', default: undefined, parse: optionalToken },
  UWS_ALLOW_FALLBACK: { description: 'Start even when uWebSockets.js loaded its slow pure-JS fallback instead of the native addon', default: 'false', parse: bool },
  SHUTDOWN_TIMEOUT_MS: { description: 'On SIGTERM, exit after this long even if the drain is not finished (logging what was left)', default: '25000', parse: int(1000, 600000) },
  USER_AUTH: { description: 'Who the user is: none (userId from the body or path) or jwt (the sub of a verified Bearer token)', default: 'none', parse: oneOf('none', 'jwt') },
  JWT_SECRET: { description: 'USER_AUTH=jwt: HS256 shared secret (32+ characters)', default: undefined, parse: optionalSecret },
  JWT_PUBLIC_KEY: { description: 'USER_AUTH=jwt: PEM public key for RS256 or ES256 tokens', default: undefined, parse: optionalPem },
  JWT_JWKS_URL: { description: 'USER_AUTH=jwt: JWKS endpoint for RS256/ES256 keys (cached, refreshed on an unknown kid)', default: undefined, parse: optionalUrl('https:', 'http:') },
  JWT_ISSUER: { description: 'USER_AUTH=jwt: required iss claim (unset: not checked)', default: undefined, parse: optionalText(1, 500) },
  JWT_AUDIENCE: { description: 'USER_AUTH=jwt: required aud claim (unset: not checked)', default: undefined, parse: optionalText(1, 500) },
  RATE_LIMIT_ADDRESS_PER_S: { description: 'Issue requests per second per client address (token bucket; 0: off)', default: '0', parse: int(0, 1000000) },
  RATE_LIMIT_ADDRESS_BURST: { description: 'Bucket size per client address', default: '20', parse: int(1, 1000000) },
  RATE_LIMIT_USER_PER_S: { description: 'Issue requests per second per user (token bucket; 0: off)', default: '0', parse: int(0, 1000000) },
  RATE_LIMIT_USER_BURST: { description: 'Bucket size per user', default: '5', parse: int(1, 1000000) },
  TRUST_PROXY: { description: 'The client address is the last X-Forwarded-For entry (one trusted proxy in front); off: the peer address', default: 'false', parse: bool },
  REDIS_URL: { description: 'Redis holding the admission gate: redis://host:port, or a Redis Cluster as redis+cluster://host:port,host:port,... (its seed nodes)', default: 'redis://127.0.0.1:6379', parse: redisUrl },
  REDIS_AUTO_PIPELINING: { description: 'Batch gate calls per event-loop tick (throughput for some p99)', default: 'true', parse: bool },
  REDIS_COMMAND_TIMEOUT_MS: { description: 'A Redis call slower than this fails (503), never hangs', default: '1000', parse: int(10, 60000) },
  REDIS_WAIT_REPLICAS: { description: 'Replicas that must confirm an admission (Redis WAIT) before its hand-off; 0: none (single node). Unconfirmed admissions are released and answered 503', default: '0', parse: int(0, 10) },
  MYSQL_URL: { description: 'MySQL/MariaDB database (created if missing)', default: 'mysql://root@127.0.0.1:3306/flash_coupon', parse: mysqlUrl },
  MYSQL_POOL_SIZE: { description: 'Connections per pool (the API and each worker thread have one)', default: '4', parse: int(1, 100) },
  MYSQL_QUERY_TIMEOUT_MS: { description: 'A MySQL statement slower than this fails (503 on the API) and its connection is dropped', default: '5000', parse: int(100, 600000) },
  MYSQL_QUEUE_LIMIT: { description: 'Callers waiting for a pool connection past which new ones fail at once (503)', default: '1000', parse: int(1, 1000000) },
  QUEUE: { description: 'Queue between gate and writers: kafka, or redis (reliable list)', default: 'kafka', parse: oneOf('kafka', 'redis') },
  KAFKA_BROKERS: { description: 'Comma-separated host:port list; when unset a local broker is managed', default: '127.0.0.1:9092', parse: brokers },
  KAFKA_CLIENT_ID: { description: 'Kafka client id', default: 'flash-coupon', parse: text(1, 200) },
  KAFKA_TOPIC: { description: 'Topic of admitted issue requests', default: 'coupon-issue-requests', parse: topicName },
  KAFKA_DLQ_TOPIC: { description: 'Dead-letter topic (defaults to <topic>.dlq)', default: undefined, parse: optionalTopic },
  KAFKA_ISSUED_TOPIC: { description: 'Optional topic with one event per stored coupon (empty: off)', default: undefined, parse: optionalTopic },
  KAFKA_REPLICATION_FACTOR: { description: 'Replicas of each topic the service creates (default 3, or the broker count when fewer); min.insync.replicas is one less, at least 1', default: undefined, parse: optionalInt(1, 32) },
  KAFKA_PARTITIONS: { description: 'Partitions of the request topic when it is created', default: '3', parse: int(1, 1000) },
  KAFKA_PARTITION_KEY: { description: 'Message key: couponId (order per coupon) or userId (spread one hot coupon)', default: 'couponId', parse: oneOf('couponId', 'userId') },
  KAFKA_GROUP_ID: { description: 'Consumer group of the batch writers', default: 'flash-coupon-writers', parse: text(1, 200) },
  PRODUCER_LINGER_MS: { description: 'How long admitted requests are collected before one sendBatch (0: those of one event-loop turn)', default: '0', parse: int(0, 1000) },
  PRODUCER_BATCH_MAX: { description: 'Messages that close a producer batch early', default: '1000', parse: int(1, 100000) },
  CONSUMER_MAX_WAIT_MS: { description: 'How long the broker holds a fetch while no message arrives (it answers at once when one does); lower polls idle brokers more', default: '500', parse: int(0, 10000) },
  CONSUMER_LINGER_MS: { description: 'Kafka mode: after storing a batch smaller than WRITER_CHUNK_ROWS, wait this long before the next fetch, so a steady stream is stored in fewer, larger transactions (less CPU per row; adds up to this much to the time a row takes to be stored; 0: off)', default: '10', parse: int(0, 1000) },
  CONSUMER_SESSION_TIMEOUT_MS: { description: 'A consumer that dies without leaving holds its partitions this long (kafkajs default 30000)', default: '10000', parse: int(6000, 300000) },
  CONSUMER_MAX_BYTES_PER_PARTITION: { description: 'Fetch size per partition', default: '1048576', parse: int(1024, 104857600) },
  HANDOFF_MAX_WAITING: { description: 'Admitted requests waiting for Kafka past which new requests get 503 before the gate (nothing reserved)', default: '20000', parse: int(1, 10000000) },
  HANDOFF_STALL_MS: { description: 'A Kafka send pending longer than this refuses new requests with 503 before the gate until it completes', default: '5000', parse: int(50, 600000) },
  RECONCILE_INTERVAL_MS: { description: 'How often a front door looks for admissions a gone front door never handed off, and releases them', default: '5000', parse: int(100, 600000) },
  WORKER_THREADS: { description: 'Batch writer threads (default: the partition count, at most the CPUs less one)', default: undefined, parse: optionalInt(1, 64) },
  WRITER_CHUNK_ROWS: { description: 'Rows per multi-row INSERT IGNORE statement', default: '500', parse: int(1, 10000) },
  WRITER_RETRY_ATTEMPTS: { description: 'Tries of a failing batch before its messages go to the DLQ', default: '5', parse: int(1, 100) },
  WRITER_LOCK_WAIT_TIMEOUT_S: { description: 'Longest wait of a writer statement for a row lock (session innodb_lock_wait_timeout; the server default is 50) before the batch is retried without spending a try', default: '5', parse: int(1, 3600) },
  WRITER_RETRY_BASE_MS: { description: 'First backoff between tries, doubled each time', default: '200', parse: int(1, 60000) },
  REDIS_QUEUE_BATCH: { description: 'Items a Redis-list consumer takes at once (QUEUE=redis)', default: '1000', parse: int(1, 100000) },
  LOG_LEVEL: { description: 'pino level', default: 'info', parse: oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent') },
  LOG_PRETTY: { description: 'Human-readable logs instead of JSON', default: 'false', parse: bool },
} as const satisfies VariableTable;

export type VariableName = keyof typeof VARIABLES;

export function flagOf(name: string): string {
  return `--${name.toLowerCase().replaceAll('_', '-')}`;
}
