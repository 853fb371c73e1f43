/** `npm run stack`'s own settings: read like the service's, from the same command line, and kept out of its Config. */
import { homedir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { UsageError } from '../../src/config/args.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { loadStack, loadStackSettings } from '../../scripts/stack/settings.js';

const SINGLE_NODE = { kafkaBrokers: 1, kafkaPort: 9092, redisCluster: false, redisClusterPort: 7000 };

t.test('defaults: .stack in the repository, jars under ~/.cache, one broker and one Redis', async (t) => {
  t.same(loadStackSettings({ env: {} }), { dir: join(PACKAGE_ROOT, '.stack'), cacheDir: join(homedir(), '.cache', 'flash-coupon'), ...SINGLE_NODE });
});

t.test('--kafka-brokers N and --redis-cluster choose the cluster; --kafka-brokers host:port stays the service\'s', async (t) => {
  const { config, stack } = loadStack({ env: {}, argv: ['--kafka-brokers', '3', '--redis-cluster', '--stack-kafka-port=19900', '--port', '9000'] });
  t.match(stack, { kafkaBrokers: 3, redisCluster: true, kafkaPort: 19900, redisClusterPort: 7000 });
  t.equal(config.http.port, 9000);
  t.same(config.kafka.brokers, ['127.0.0.1:9092'], 'the count is not a broker list');
  t.equal(config.kafka.local, true);
  const given = loadStack({ argv: ['--kafka-brokers', 'k:9092'] });
  t.same([given.stack.kafkaBrokers, given.config.kafka.brokers, given.config.kafka.local], [1, ['k:9092'], false]);
  t.match(loadStackSettings({ env: { STACK_KAFKA_BROKERS: '3', STACK_REDIS_CLUSTER: 'true' } }), { kafkaBrokers: 3, redisCluster: true }, 'the same by environment');
  t.throws(() => loadStack({ argv: ['--kafka-brokers', '10'] }), /^Invalid configuration: STACK_KAFKA_BROKERS must be an integer between 1 and 9/);
});

t.test('env and flags, the service\'s flags alongside', async (t) => {
  const { config, stack } = loadStack({ env: { STACK_CACHE_DIR: '/tmp/jars', QUEUE: 'redis' }, argv: ['--stack-dir=/tmp/st', '--redis-url', 'redis://h:1'] });
  t.same(stack, { dir: '/tmp/st', cacheDir: '/tmp/jars', ...SINGLE_NODE });
  t.equal(config.queue, 'redis');
  t.equal(config.redis.url, 'redis://h:1');
  t.notOk('stack' in config);
});

t.test('a bad value is one line naming the variable; an unknown flag a UsageError', async (t) => {
  t.throws(() => loadStackSettings({ env: { STACK_DIR: '' } }), /^Invalid configuration: STACK_DIR must be 1-4096 characters \(got ""\)$/);
  t.throws(() => loadStack({ argv: ['--stack-cache-dir='] }), /^Invalid configuration: STACK_CACHE_DIR must be 1-4096 characters/);
  const err = t.throws(() => loadStack({ argv: ['--stack-dirr', 'x'] })) as unknown;
  t.ok(err instanceof UsageError);
  t.match((err as Error).message, /^unknown option --stack-dirr$/);
});
