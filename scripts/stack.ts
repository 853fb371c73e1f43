/**
 * `npm run stack -- up|down|status [--<setting> value ...]`: the local Kafka, Redis and
 * MariaDB that `npm start` and `npm test` need. `down` stops what `up` started and nothing
 * else. The settings are the service's (where Redis, MySQL, Kafka are) and the stack's own.
 * `test-packages` installs the Debian packages only the tests need (Chromium) when missing.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../src/config/args.js';
import type { Config } from '../src/config/index.js';
import { kafkaReady, upKafka } from './stack/kafka.js';
import { PidFiles, stopGroup } from './stack/processes.js';
import { ensureDebianPackage } from './stack/debian.js';
import { statusServices, upServices } from './stack/services.js';
import { loadStack, type StackSettings } from './stack/settings.js';
import { TEST_PACKAGES } from './stack/test-packages.js';

const USAGE = 'usage: npm run stack -- up|down|status|test-packages [--<setting> value ...] (the service settings of README, Configuration, and --stack-dir, --stack-cache-dir)';
const COMMANDS = ['up', 'down', 'status', 'test-packages'] as const;

const say = (line: string): void => {
  process.stdout.write(`[stack] ${line}\n`);
};

function tail(file: string, lines: number): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}

async function up(config: Config, stack: StackSettings, pids: PidFiles): Promise<void> {
  for (const line of await upServices(config, pids, stack.dir)) say(line);
  if (config.queue === 'kafka') {
    try {
      say(await upKafka(config, stack, pids, say));
    } catch (err) {
      const log = tail(join(stack.dir, 'kafka', 'broker.log'), 15);
      throw new Error(`${(err as Error).message}${log === '' ? '' : `\nlast broker log lines:\n${log}`}`);
    }
  }
}

async function status(config: Config, pids: PidFiles): Promise<void> {
  for (const line of await statusServices(config, pids)) say(line);
  const ours = pids.running('kafka');
  const ready = await kafkaReady(config);
  const who = ours === undefined ? 'not started by us' : `started by us, pid ${ours}`;
  say(`kafka: ${ready ? 'up' : 'down'} at ${config.kafka.brokers.join(',')} (${who})`);
}

async function down(pids: PidFiles): Promise<void> {
  let stopped = 0;
  for (const name of ['kafka', 'redis', 'mysql']) {
    const pid = pids.running(name);
    if (pid === undefined) continue;
    await stopGroup(pid, name === 'kafka' ? 30000 : 15000);
    pids.remove(name);
    say(`${name}: stopped (pid ${pid})`);
    stopped++;
  }
  if (stopped === 0) say('nothing of ours was running');
}

function command(argv: readonly string[]): (typeof COMMANDS)[number] {
  const [first] = argv;
  const known = COMMANDS.find((name) => name === first);
  if (known === undefined) throw new UsageError(first === undefined ? 'no command' : `unknown command "${first}"`);
  return known;
}

async function testPackages(): Promise<void> {
  for (const pkg of TEST_PACKAGES) await ensureDebianPackage(pkg.name, pkg.binary, { neededFor: pkg.neededFor, say });
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const name = command(argv);
  if (name === 'test-packages') return testPackages();
  const { config, stack } = loadStack({ env: process.env, argv: argv.slice(1) });
  const pids = new PidFiles(stack.dir);
  if (name === 'up') await up(config, stack, pids);
  else if (name === 'down') await down(pids);
  else await status(config, pids);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    const usage = err instanceof UsageError;
    process.stderr.write(`[stack] ${(err as Error).message}\n${usage ? `${USAGE}\n` : ''}`);
    process.exit(usage ? 2 : 1);
  },
);
