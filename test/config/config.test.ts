import t from 'tap';
import { loadConfig } from '../../src/config/index.js';
import { AppError } from '../../src/errors.js';

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
  t.equal(config.writer.threads, 3, 'worker threads default to the partition count');
  t.equal(config.queue, 'kafka');
  t.ok(Object.isFrozen(config) && Object.isFrozen(config.kafka), 'config is frozen');
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
  t.throws(() => loadConfig({ argv: ['--no-such-flag', '1'] }), /unknown option --no-such-flag/);
  t.throws(() => loadConfig({ argv: ['--port'] }), /--port needs a value/);
});
