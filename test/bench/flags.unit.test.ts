/** The bench commands read their command lines alike: one parser, one UsageError, the same checks of shared values. */
import t from 'tap';
import { UsageError } from '../../src/config/args.js';
import { choice, decimal, integer, parseCommand, stores, STRING, target } from '../../bench/flags.js';
import { parseOptions } from '../../bench/options.js';
import { parseProfileOptions } from '../../bench/profile-options.js';
import { parseSoakOptions } from '../../bench/soak-options.js';

const COMMANDS: [string, (argv: string[]) => unknown, string[]][] = [
  ['bench', parseOptions, []],
  ['soak', parseSoakOptions, []],
  ['profile', parseProfileOptions, ['doctor']],
];

t.test('every command: the same UsageError for the same slip', async (t) => {
  for (const [name, parse, first] of COMMANDS) {
    const slips: [string[], string][] = [
      [['--frobnicate'], 'unknown option --frobnicate'],
      [['--queue'], '--queue needs a value'],
      [['--queue', '--keep-data'], '--queue needs a value'],
      [['--mysql-url='], '--mysql-url needs a value'],
      [['--keep-data=1'], '--keep-data takes no value'],
      [['--queue=rabbit'], '--queue must be kafka or redis (got "rabbit")'],
      [['--redis-url', 'http://x'], '--redis-url: REDIS_URL must use redis: or rediss: (got "http://x")'],
    ];
    for (const [args, message] of slips) {
      const err = t.throws(() => parse([...first, ...args])) as unknown;
      t.ok(err instanceof UsageError, `${name} ${args.join(' ')}: UsageError`);
      t.equal((err as Error).message, message);
    }
    t.has(parse([...first, '-h', '--', '--queue', 'x']), { help: true, serviceArgs: ['--queue', 'x'] }, `${name}: -h, and -- hands the rest on`);
  }
});

t.test('the shared value checks', async (t) => {
  t.equal(integer('--n', undefined, 7, 1, 10), 7);
  t.equal(integer('--n', '10', 7, 1, 10), 10);
  t.throws(() => integer('--n', '1e1', 7, 1, 10), /^--n must be an integer from 1 to 10 \(got "1e1"\)$/);
  t.throws(() => integer('--n', '11', 7, 1, 10), UsageError);
  t.equal(decimal('--f', '0.25', 0.5, 0.01, 1), 0.25);
  t.throws(() => decimal('--f', ' ', 0.5, 0.01, 1), /^--f must be a number from 0.01 to 1/);
  t.equal(choice('--roles', 'split', 'all', ['all', 'split']), 'split');
  t.throws(() => choice('--roles', 'api', 'all', ['all', 'split']), /^--roles must be all or split \(got "api"\)$/);
  t.same(stores({ 'kafka-brokers': 'a:1' }), { mysqlUrl: 'mysql://root@127.0.0.1:3306/flash_coupon', redisUrl: 'redis://127.0.0.1:6379', kafkaBrokers: 'a:1' });
  t.equal(target({ url: 'http://h:1//', 'admin-token': 'x' }, [], 'bench'), 'http://h:1');
  t.throws(() => target({ url: 'http://h:1', 'admin-token': 'x' }, ['--port', '1'], 'soak'), /the soak starts; with --url there is none/);
  t.same(parseCommand(['--json', 'f', '--', 'x'], { json: STRING }), { values: { json: 'f' }, positionals: [], rest: ['x'] });
});
