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
import { kafkaClusterLayout, kafkaClusterReady, upKafkaCluster } from './stack/kafka-cluster.js';
import { redisClusterUrl, statusRedisCluster, upRedisCluster } from './stack/redis-cluster.js';
import { PidFiles, stopGroup } from './stack/processes.js';
import { ensureDebianPackage } from './stack/debian.js';
import { statusServices, upServices } from './stack/services.js';
import { loadStack, type StackSettings } from './stack/settings.js';
import { TEST_PACKAGES } from './stack/test-packages.js';

const USAGE = 'usage: npm run stack -- up|down|status|test-packages [--kafka-brokers N] [--redis-cluster] [--<setting> value ...] (the service settings of README, Configuration, and the STACK_* settings)';
const COMMANDS = ['up', 'down', 'status', 'test-packages'] as const;

const say = (line: string): void => {
  process.stdout.write(`[stack] ${line}\n`);
};

function tail(file: string, lines: number): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}

const clusterKafka = (stack: StackSettings): boolean => stack.kafkaBrokers > 1;

async function up(config: Config, stack: StackSettings, pids: PidFiles): Promise<void> {
  for (const line of await upServices(config, pids, stack.dir, !stack.redisCluster)) say(line);
  if (stack.redisCluster) say(await upRedisCluster(stack, pids, say));
  if (config.queue === 'kafka') {
    const logFile = clusterKafka(stack) ? join(stack.dir, 'kafka-cluster', '1', 'broker.log') : join(stack.dir, 'kafka', 'broker.log');
    try {
      say(clusterKafka(stack) ? await upKafkaCluster(config, stack, pids, say) : await upKafka(config, stack, pids, say));
    } catch (err) {
      const log = tail(logFile, 15);
      throw new Error(`${(err as Error).message}${log === '' ? '' : `\nlast broker log lines:\n${log}`}`);
    }
  }
  // What `npm start` / `serve` need for this topology, as lines a shell can eval.
  if (clusterKafka(stack)) process.stdout.write(`export KAFKA_BROKERS=${kafkaClusterLayout(stack).brokers.join(',')}\n`);
  if (stack.redisCluster) process.stdout.write(`export REDIS_URL=${redisClusterUrl(stack)}\n`);
}

/** The cluster parts are reported when asked for by flag, or when `up` started them (their pid files). */
async function status(config: Config, stack: StackSettings, pids: PidFiles): Promise<void> {
  const names = pids.names();
  const redisCluster = stack.redisCluster || names.some((name) => /^redis-\d+$/.test(name));
  const members = names.filter((name) => /^kafka-\d+$/.test(name)).length;
  const kafkaCluster = clusterKafka(stack) || members > 1;
  for (const line of await statusServices(config, pids, !redisCluster)) say(line);
  if (redisCluster) for (const line of await statusRedisCluster(stack, pids)) say(line);
  if (kafkaCluster) {
    const asked = { ...stack, kafkaBrokers: Math.max(stack.kafkaBrokers, members) };
    const layout = kafkaClusterLayout(asked);
    const ready = await kafkaClusterReady(config, asked);
    say(`kafka cluster of ${layout.members.length}: ${ready ? 'up' : 'not ready'} at ${layout.brokers.join(',')}`);
    for (const member of layout.members) {
      const ours = pids.running(member.pidName);
      say(`kafka broker ${member.nodeId}: ${ours === undefined ? 'not running (of ours)' : `started by us, pid ${ours}`}, ports ${member.ports.port}/${member.ports.controllerPort}`);
    }
    return;
  }
  const ours = pids.running('kafka');
  const ready = await kafkaReady(config);
  const who = ours === undefined ? 'not started by us' : `started by us, pid ${ours}`;
  say(`kafka: ${ready ? 'up' : 'down'} at ${config.kafka.brokers.join(',')} (${who})`);
}

/**
 * Stops everything `up` recorded: Kafka first, then Redis, MySQL last. The members of a
 * cluster stop together: a KRaft broker stopping after the others lost its quorum and
 * would wait out the grace time.
 */
async function down(pids: PidFiles): Promise<void> {
  let stopped = 0;
  for (const prefix of ['kafka', 'redis', 'mysql']) {
    const running = pids.names().filter((name) => name === prefix || name.startsWith(`${prefix}-`)).flatMap((name) => {
      const pid = pids.running(name);
      return pid === undefined ? [] : [{ name, pid }];
    });
    await Promise.all(running.map(async ({ name, pid }) => {
      await stopGroup(pid, prefix === 'kafka' ? 30000 : 15000);
      pids.remove(name);
      say(`${name}: stopped (pid ${pid})`);
    }));
    stopped += running.length;
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
  else await status(config, stack, pids);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    const usage = err instanceof UsageError;
    process.stderr.write(`[stack] ${(err as Error).message}\n${usage ? `${USAGE}\n` : ''}`);
    process.exit(usage ? 2 : 1);
  },
);
