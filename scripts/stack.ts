/**
 * `npm run stack -- up|down|status`: the local Kafka, Redis and MariaDB that `npm start`
 * and `npm test` need. `down` stops what `up` started and nothing else. `test-packages`
 * installs the Debian packages only the tests need (Chromium) when they are missing.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig, type Config } from '../src/config/index.js';
import { PACKAGE_ROOT } from '../src/paths.js';
import { ensureDebianPackage } from './stack/debian.js';
import { kafkaReady, upKafka } from './stack/kafka.js';
import { PidFiles, stopGroup } from './stack/processes.js';
import { statusServices, upServices } from './stack/services.js';
import { TEST_PACKAGES } from './stack/test-packages.js';

const say = (line: string): void => {
  process.stdout.write(`[stack] ${line}\n`);
};

function tail(file: string, lines: number): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}

async function up(config: Config, pids: PidFiles, stackDir: string): Promise<void> {
  for (const line of await upServices(config, pids, stackDir)) say(line);
  if (config.queue === 'kafka') {
    try {
      say(await upKafka(config, pids, stackDir, say));
    } catch (err) {
      const log = tail(join(stackDir, 'kafka', 'broker.log'), 15);
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

async function testPackages(): Promise<void> {
  for (const pkg of TEST_PACKAGES) await ensureDebianPackage(pkg.name, pkg.binary, { neededFor: pkg.neededFor, say });
}

async function main(): Promise<void> {
  const [command, ...flags] = process.argv.slice(2);
  const config = loadConfig({ env: process.env, argv: flags });
  const stackDir = resolve(PACKAGE_ROOT, config.stack.dir);
  const pids = new PidFiles(stackDir);
  if (command === 'up') await up(config, pids, stackDir);
  else if (command === 'down') await down(pids);
  else if (command === 'status') await status(config, pids);
  else if (command === 'test-packages') await testPackages();
  else throw new Error('usage: npm run stack -- up|down|status|test-packages');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`[stack] ${(err as Error).message}\n`);
    process.exit(1);
  },
);
