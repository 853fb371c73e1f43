/** `npm run stack`'s own settings: read like the service's, from the same command line, and kept out of its Config. */
import { homedir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { UsageError } from '../../src/config/args.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { loadStack, loadStackSettings } from '../../scripts/stack/settings.js';

t.test('defaults: .stack in the repository, jars under ~/.cache', async (t) => {
  t.same(loadStackSettings({ env: {} }), { dir: join(PACKAGE_ROOT, '.stack'), cacheDir: join(homedir(), '.cache', 'flash-coupon') });
});

t.test('env and flags, the service\'s flags alongside', async (t) => {
  const { config, stack } = loadStack({ env: { STACK_CACHE_DIR: '/tmp/jars', QUEUE: 'redis' }, argv: ['--stack-dir=/tmp/st', '--redis-url', 'redis://h:1'] });
  t.same(stack, { dir: '/tmp/st', cacheDir: '/tmp/jars' });
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
