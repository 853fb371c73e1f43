/** The service's configuration: defaults, env and flags, one line per bad value, and types that follow the table. */
import t from 'tap';
import { UsageError } from '../../src/config/args.js';
import { defaultWriterThreads, loadConfig, type Config, type PartitionKey, type QueueKind, type Role } from '../../src/config/index.js';
import { VARIABLES } from '../../src/config/variables.js';
import { availableParallelism } from 'node:os';
import { AppError } from '../../src/errors.js';

/** True only when A and B are the same type; a wrong derivation fails to compile. */
type Same<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;

t.test('defaults point at the local stack', async (t) => {
  const config = loadConfig({ env: {} });
  t.equal(config.http.port, 8080);
  t.equal(config.redis.url, 'redis://127.0.0.1:6379');
  t.equal(config.mysql.url, 'mysql://root@127.0.0.1:3306/flash_coupon');
  t.equal(config.mysql.database, 'flash_coupon');
  t.same(config.kafka.brokers, ['127.0.0.1:9092']);
  t.equal(config.kafka.local, true);
  t.equal(config.kafka.topic, 'coupon-issue-requests');
  t.equal(config.kafka.dlqTopic, 'coupon-issue-requests.dlq');
  t.equal(config.kafka.partitions, 3);
  t.equal(config.writer.threads, Math.min(3, Math.max(1, availableParallelism() - 1)), 'worker threads default to the partition count, at most the CPUs less one');
  t.equal(config.queue, 'kafka');
  t.ok(Object.isFrozen(config) && Object.isFrozen(config.kafka), 'config is frozen');
});

t.test('writer threads: one per partition, leaving a CPU to the front door', async (t) => {
  t.equal(loadConfig({ cores: 2 }).writer.threads, 1, '2 CPUs: one writer thread');
  t.equal(loadConfig({ cores: 1 }).writer.threads, 1, 'never none');
  t.equal(loadConfig({ cores: 8 }).writer.threads, 3, 'cores to spare: one per partition');
  t.equal(loadConfig({ cores: 4, env: { KAFKA_PARTITIONS: '6' } }).writer.threads, 3);
  t.equal(loadConfig({ cores: 2, env: { WORKER_THREADS: '3' } }).writer.threads, 3, 'WORKER_THREADS wins');
  t.equal(defaultWriterThreads(6, 16), 6);
});

t.test('environment and flags are read, flags win', async (t) => {
  const config = loadConfig({
    env: { PORT: '9000', KAFKA_BROKERS: 'a:1, b:2', KAFKA_PARTITIONS: '6' },
    argv: ['--port', '9100', '--worker-threads=2', '--queue', 'redis'],
  });
  t.equal(config.http.port, 9100);
  t.same(config.kafka.brokers, ['a:1', 'b:2']);
  t.equal(config.kafka.local, false, 'an explicit broker list means no local broker');
  t.equal(config.kafka.partitions, 6);
  t.equal(config.writer.threads, 2);
  t.equal(config.queue, 'redis');
});

t.test('a bad value stops with one line naming the variable', async (t) => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ PORT: 'eighty' }, /^Invalid configuration: PORT must be an integer between 0 and 65535 \(got "eighty"\)$/],
    [{ PORT: '70000' }, /PORT must be an integer/],
    [{ REDIS_URL: 'http://x' }, /REDIS_URL must use redis: or rediss:/],
    [{ MYSQL_URL: 'mysql://root@h:3306/' }, /MYSQL_URL must name a database/],
    [{ KAFKA_BROKERS: 'nohostport' }, /KAFKA_BROKERS has "nohostport"/],
    [{ QUEUE: 'rabbit' }, /QUEUE must be one of kafka, redis/],
    [{ ADMIN_TOKEN: 'short' }, /ADMIN_TOKEN must be 16-256 characters.*\(got \(hidden\)\)/],
    [{ LOG_PRETTY: 'maybe' }, /LOG_PRETTY must be true\/false/],
  ];
  for (const [env, pattern] of cases) {
    const err = t.throws(() => loadConfig({ env })) as unknown;
    t.ok(err instanceof AppError && err.code === 'CONFIG_INVALID', `${Object.keys(env)[0]} gives CONFIG_INVALID`);
    t.match((err as Error).message, pattern);
    t.notOk((err as Error).message.includes('\n'), 'one line');
  }
});

t.test('a bad flag is a UsageError naming it; a bad value given by flag names the variable', async (t) => {
  const usage: [string[], string][] = [
    [['--no-such-flag', '1'], 'unknown option --no-such-flag'],
    [['--no-such-flag=1'], 'unknown option --no-such-flag'],
    [['--port'], '--port needs a value'],
    [['--port', '--queue', 'redis'], '--port needs a value'],
    [['serve'], 'unexpected argument "serve"'],
  ];
  for (const [argv, message] of usage) {
    const err = t.throws(() => loadConfig({ argv })) as unknown;
    t.ok(err instanceof UsageError && err.code === 'USAGE', `${argv.join(' ')}: UsageError`);
    t.equal((err as Error).message, message);
  }
  const err = t.throws(() => loadConfig({ env: { PORT: '9000' }, argv: ['--port=eighty'] })) as unknown;
  t.ok(err instanceof AppError && err.code === 'CONFIG_INVALID', 'a bad value is CONFIG_INVALID, not a usage error');
  t.equal((err as Error).message, 'Invalid configuration: PORT must be an integer between 0 and 65535 (got "eighty")');
  t.throws(() => loadConfig({ argv: ['--queue=rabbit'] }), /^Invalid configuration: QUEUE must be one of kafka, redis \(got "rabbit"\)$/);
});

t.test('both flag forms; an empty value unsets an optional setting', async (t) => {
  const config = loadConfig({
    env: { KAFKA_ISSUED_TOPIC: 'issued', ADMIN_TOKEN: 'from-env-0123456789' },
    argv: ['--role=api', '--kafka-partition-key', 'userId', '--kafka-issued-topic=', '--admin-token='],
  });
  t.equal(config.role, 'api');
  t.equal(config.kafka.partitionKey, 'userId');
  t.equal(config.kafka.issuedTopic, undefined, '--kafka-issued-topic= turns the env topic off');
  t.equal(config.adminToken, undefined);
  t.equal(loadConfig({ argv: ['--port', '1', '--port', '2'] }).http.port, 2, 'the last of a repeated flag wins (the bench appends overrides)');
});

t.test('the stack\'s own settings are not the service\'s', async (t) => {
  const config: Config = loadConfig({ env: { STACK_DIR: '/elsewhere' } });
  t.notOk('stack' in config, 'no stack section in Config');
  t.notOk('STACK_DIR' in VARIABLES || 'STACK_CACHE_DIR' in VARIABLES, 'not in the variables table (nor the README table made from it)');
  t.throws(() => loadConfig({ argv: ['--stack-dir', '.stack'] }), /^unknown option --stack-dir$/);
});

t.test('the types follow the table', async (t) => {
  // Compile-time checks: each holds only while the parser returns exactly that union.
  const checks: [Same<Role, 'all' | 'api' | 'consumer'>, Same<QueueKind, 'kafka' | 'redis'>, Same<PartitionKey, 'couponId' | 'userId'>] = [true, true, true];
  const level: Same<Config['log']['level'], 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'> = true;
  const threads: Same<Config['writer']['threads'], number> = true;
  t.same([...checks, level, threads], [true, true, true, true, true]);
  const config = loadConfig({ env: { QUEUE: 'redis', LOG_LEVEL: 'warn' } });
  t.same([config.queue, config.log.level, typeof config.http.port, typeof config.redis.autoPipelining], ['redis', 'warn', 'number', 'boolean']);
});

t.test('REDIS_URL names a single Redis or a Redis Cluster by its seed nodes', async (t) => {
  t.equal(loadConfig({ env: {} }).redis.cluster, undefined, 'redis:// is a single Redis');
  t.same(loadConfig({ env: { REDIS_URL: 'redis+cluster://127.0.0.1:7000,127.0.0.1:7001, h.example:7002' } }).redis.cluster, {
    nodes: [{ host: '127.0.0.1', port: 7000 }, { host: '127.0.0.1', port: 7001 }, { host: 'h.example', port: 7002 }],
    username: undefined,
    password: undefined,
    tls: false,
  });
  t.same(loadConfig({ env: { REDIS_URL: 'rediss+cluster://app:p%40ss:w@[::1]:7000/' } }).redis.cluster, { nodes: [{ host: '::1', port: 7000 }], username: 'app', password: 'p@ss:w', tls: true });
  for (const bad of ['redis+cluster://', 'redis+cluster://h', 'redis+cluster://h:1,h', 'redis+cluster://h:99999', 'redis+cluster://h:1/0']) {
    t.throws(() => loadConfig({ env: { REDIS_URL: bad } }), /^Invalid configuration: REDIS_URL (must be redis\+cluster|has ")/, bad);
  }
});

t.test('QUEUE=redis refuses a Redis Cluster with one line saying why', async (t) => {
  const err = t.throws(() => loadConfig({ env: { QUEUE: 'redis', REDIS_URL: 'redis+cluster://h:7000' } })) as unknown;
  t.ok(err instanceof AppError && err.code === 'CONFIG_INVALID');
  t.match((err as Error).message, /^Invalid configuration: QUEUE=redis needs a single Redis, not a Redis Cluster/);
});

t.test('KAFKA_REPLICATION_FACTOR: unset means decided at start, else 1-32', async (t) => {
  t.equal(loadConfig({ env: {} }).kafka.replicationFactor, undefined);
  t.equal(loadConfig({ env: { KAFKA_REPLICATION_FACTOR: '2' } }).kafka.replicationFactor, 2);
  t.throws(() => loadConfig({ env: { KAFKA_REPLICATION_FACTOR: '0' } }), /KAFKA_REPLICATION_FACTOR must be an integer between 1 and 32/);
});

t.test('NODE_ENV=production: the roles that serve the admin API refuse to start without ADMIN_TOKEN', async (t) => {
  for (const role of ['api', 'all']) {
    t.throws(() => loadConfig({ env: { NODE_ENV: 'production', ROLE: role } }), { code: 'CONFIG_INVALID', message: /ADMIN_TOKEN must be set/ }, role);
  }
  t.equal(loadConfig({ env: { NODE_ENV: 'production', ROLE: 'consumer' } }).production, true, 'consumer needs no admin token');
  t.equal(loadConfig({ env: { NODE_ENV: 'production', ROLE: 'api', ADMIN_TOKEN: 'a-long-enough-token-123' } }).role, 'api');
  t.equal(loadConfig({ env: { ROLE: 'api' } }).adminToken, undefined, 'outside production a token is generated at start');
});

t.test('USER_AUTH=jwt needs exactly one key source; the secret never shows in the error', async (t) => {
  t.throws(() => loadConfig({ env: { USER_AUTH: 'jwt' } }), { code: 'CONFIG_INVALID', message: /exactly one of JWT_SECRET/ });
  const secret = 's'.repeat(40);
  t.throws(() => loadConfig({ env: { USER_AUTH: 'jwt', JWT_SECRET: secret, JWT_JWKS_URL: 'https://idp.example/jwks' } }), { code: 'CONFIG_INVALID' });
  t.equal(loadConfig({ env: { USER_AUTH: 'jwt', JWT_SECRET: secret } }).auth.secret, secret);
  try {
    loadConfig({ env: { USER_AUTH: 'jwt', JWT_SECRET: 'short-secret' } });
    t.fail('a short secret is refused');
  } catch (err) {
    t.match(err, { code: 'CONFIG_INVALID', message: /JWT_SECRET/ });
    t.notMatch((err as Error).message, /short-secret/, 'the value is hidden');
  }
});
