/**
 * The binary as users run it: a bad setting stops start-up with one line naming it; a
 * running service stops cleanly on SIGTERM with every accepted request handed to Kafka.
 */
import { spawn } from 'node:child_process';
import t from 'tap';
import { readTopic } from './helpers/kafka-read.js';
import { CLI, spawnService } from './helpers/process.js';
import { uniqueName } from './helpers/env.js';
import type { TestService } from './helpers/service.js';
import { createCoupon, issue } from './helpers/service.js';
import { loadConfig } from '../src/config/index.js';


t.test('a bad value stops start-up with one line naming the variable', async (t) => {
  const child = spawn(process.execPath, [CLI, 'serve'], { env: { ...process.env, KAFKA_PARTITIONS: 'many' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  t.equal(code, 1);
  t.equal(stderr.trim().split('\n').length, 1, 'one line');
  t.match(stderr, /KAFKA_PARTITIONS must be an integer/);
});

t.test('an unknown command prints the usage', async (t) => {
  const child = spawn(process.execPath, [CLI, 'launch'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  t.equal(await new Promise<number | null>((resolve) => child.on('exit', resolve)), 2);
  t.match(stderr, /usage: flash-coupon serve/);
});

t.test('SIGTERM: stops accepting, flushes the producer, exits 0 with nothing lost', async (t) => {
  const topic = uniqueName('t-cli');
  const adminToken = 'cli-test-token-0123456789';
  const proc = await spawnService({ ROLE: 'api', KAFKA_TOPIC: topic, ADMIN_TOKEN: adminToken, PRODUCER_LINGER_MS: '5' });
  t.teardown(() => proc.stop('SIGKILL'));
  const svc = { url: proc.url, adminToken } as TestService;
  const couponId = await createCoupon(svc, { totalQuantity: 300 });
  let exited: Promise<number | null> | undefined;
  const inFlight = Array.from({ length: 300 }, (_, i) =>
    issue(svc, couponId, `sig-${i}`).then(
      (response) => {
        // Signal at the first acceptance, while the other requests are still arriving.
        if (response.status === 202 && exited === undefined) exited = proc.stop('SIGTERM');
        return response;
      },
      () => undefined,
    ),
  );
  const responses = await Promise.all(inFlight);
  t.equal(await exited, 0, 'clean exit');
  const accepted = responses.filter((r) => r?.status === 202).map((r) => r?.body['userId']);
  t.ok(accepted.length > 0, `some requests were accepted before the stop (${accepted.length})`);
  const messages = await readTopic(loadConfig({ env: {} }).kafka.brokers, topic, accepted.length);
  t.same(messages.map((m) => m.userId).sort(), [...accepted].sort(), 'every 202 is in Kafka, and nothing else');
});
