/**
 * A private Kafka broker for tests that take Kafka down: the same jars and settings as
 * the local stack, on its own ports and data folder, so stopping it disturbs no other test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { kafkaReady, startBroker } from '../../scripts/stack/kafka.js';
import { isAlive, stopGroup, waitFor } from '../../scripts/stack/processes.js';
import { loadStackSettings } from '../../scripts/stack/settings.js';

export interface PrivateBroker {
  brokers: string;
  /** Stops the broker (SIGKILL when `crash`), keeping its data. */
  stop(crash?: boolean): Promise<void>;
  start(): Promise<void>;
  /** Freezes the broker (SIGSTOP): connections stay open, requests wait unanswered. */
  freeze(): void;
  /** Thaws a frozen broker (SIGCONT): it goes on with the requests that waited. */
  thaw(): void;
  destroy(): Promise<void>;
}

export async function startPrivateBroker(port: number): Promise<PrivateBroker> {
  const home = mkdtempSync(join(tmpdir(), 'fc-broker-'));
  const brokers = `127.0.0.1:${port}`;
  const config = loadConfig({ env: { KAFKA_BROKERS: brokers, LOG_LEVEL: 'silent' } });
  // The jars the local stack fetched, wherever STACK_CACHE_DIR put them.
  const { cacheDir } = loadStackSettings({ env: process.env });
  let pid: number | undefined;
  const start = async (): Promise<void> => {
    const started = await startBroker(cacheDir, home, { port, controllerPort: port + 1 }, () => undefined);
    pid = started;
    await waitFor('private kafka', () => kafkaReady(config), 90000, () => isAlive(started));
  };
  const signal = (name: NodeJS.Signals): void => {
    if (pid === undefined) throw new Error('the private broker is not running');
    process.kill(-pid, name);
  };
  const stop = async (crash = false): Promise<void> => {
    if (pid === undefined) return;
    process.kill(-pid, 'SIGCONT');
    if (crash) process.kill(-pid, 'SIGKILL');
    await stopGroup(pid, 20000);
    pid = undefined;
  };
  await start();
  return {
    brokers,
    stop,
    start,
    freeze: () => signal('SIGSTOP'),
    thaw: () => signal('SIGCONT'),
    async destroy() {
      await stop(true);
      rmSync(home, { recursive: true, force: true });
    },
  };
}
