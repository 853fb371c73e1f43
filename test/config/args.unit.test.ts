/** The one argument parser: both flag forms, switches, what follows `--`, and a one-line UsageError for each slip. */
import t from 'tap';
import { parseFlags, takeFlags, UsageError } from '../../src/config/args.js';

const SPECS = { port: { type: 'string' }, queue: { type: 'string' }, 'keep-data': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;

t.test('--flag value, --flag=value and switches', async (t) => {
  const { values, positionals, rest } = parseFlags(['--port', '9000', '--queue=redis', '--keep-data', '-h'], SPECS);
  t.same(values, { port: '9000', queue: 'redis', 'keep-data': true, help: true });
  t.same(positionals, []);
  t.same(rest, []);
  t.same(parseFlags([], SPECS).values, {}, 'absent flags are absent, not defaulted');
  t.equal(parseFlags(['--port=-1'], SPECS).values.port, '-1', 'the = form takes a value that starts with -');
  t.equal(parseFlags(['--queue='], SPECS).values.queue, '', 'an empty value is a value');
  t.equal(parseFlags(['--port', '1', '--port', '2'], SPECS).values.port, '2', 'the last of a repeated flag wins');
});

t.test('positionals and what follows -- only when asked for', async (t) => {
  const parsed = parseFlags(['doctor', '--port', '1', '--', '--worker-threads', '2', 'x'], SPECS, { positionals: true, rest: true });
  t.same(parsed.positionals, ['doctor']);
  t.same(parsed.rest, ['--worker-threads', '2', 'x'], 'handed on untouched');
  t.same(parsed.values, { port: '1' });
  t.same(parseFlags(['--'], SPECS, { rest: true }).rest, []);
});

t.test('each slip is a UsageError with code USAGE and one line naming the flag', async (t) => {
  const cases: [string[], string][] = [
    [['--nope', '1'], 'unknown option --nope'],
    [['--nope=1'], 'unknown option --nope'],
    [['-x'], 'unknown option -x'],
    [['--port'], '--port needs a value'],
    [['--port', '--queue', 'redis'], '--port needs a value'],
    [['--port', '--'], '--port needs a value'],
    [['--keep-data=yes'], '--keep-data takes no value'],
    [['serve'], 'unexpected argument "serve"'],
    [['--', 'x'], 'unexpected "--"'],
  ];
  for (const [args, message] of cases) {
    const err = t.throws(() => parseFlags(args, SPECS)) as unknown;
    t.ok(err instanceof UsageError, `${args.join(' ')}: UsageError`);
    t.equal((err as UsageError).code, 'USAGE');
    t.equal((err as Error).message, message);
  }
});

t.test('takeFlags takes its own flags and hands the others back untouched, in order', async (t) => {
  const specs = { 'kafka-brokers': { type: 'string' }, 'redis-cluster': { type: 'boolean' } } as const;
  const count = (_name: string, value: string | boolean): boolean => /^\d+$/.test(String(value));
  t.same(takeFlags(['--port', '9000', '--kafka-brokers', '3', '--redis-cluster', '--queue=redis'], specs, count), { values: { 'kafka-brokers': '3', 'redis-cluster': true }, others: ['--port', '9000', '--queue=redis'] });
  t.same(takeFlags(['--kafka-brokers=a:1,b:2'], specs, count), { values: {}, others: ['--kafka-brokers=a:1,b:2'] }, 'a value it does not accept stays for the next reader');
  t.same(takeFlags(['--kafka-brokers', 'a:1'], specs, count).others, ['--kafka-brokers', 'a:1']);
  t.same(takeFlags(['--a', '--', '--redis-cluster'], specs).others, ['--a', '--', '--redis-cluster'], 'nothing after -- is taken');
  t.throws(() => takeFlags(['--redis-cluster=yes'], specs), { message: '--redis-cluster takes no value' });
  t.throws(() => takeFlags(['--kafka-brokers'], specs), { message: '--kafka-brokers needs a value' });
});
