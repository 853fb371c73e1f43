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


/** Runs the binary to its exit; none of these gets as far as connecting to anything. */
async function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; lines: string[] }> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, lines: stderr.trim().split('\n') };
}

t.test('a bad value stops start-up with one line naming the variable', async (t) => {
  const { code, lines } = await runCli(['serve'], { KAFKA_PARTITIONS: 'many' });
  t.equal(code, 1);
  t.equal(lines.length, 1, 'one line');
  t.match(lines[0], /KAFKA_PARTITIONS must be an integer/);
});

t.test('a bad value given by flag: the same line, exit 1', async (t) => {
  const { code, lines } = await runCli(['serve', '--port=eighty']);
  t.equal(code, 1);
  t.same(lines, ['Invalid configuration: PORT must be an integer between 0 and 65535 (got "eighty")']);
});

t.test('an unknown command, an unknown flag or a flag without its value: the slip, the usage, exit 2', async (t) => {
  const cases: [string[], string][] = [
    [['launch'], 'unknown command "launch"'],
    [['serve', '--no-such-flag', '1'], 'unknown option --no-such-flag'],
    [['serve', '--role'], '--role needs a value'],
  ];
  for (const [args, slip] of cases) {
    const { code, lines } = await runCli(args);
    t.equal(code, 2, args.join(' '));
    t.equal(lines[0], `flash-coupon: ${slip}`);
    t.match(lines[1], /^usage: flash-coupon serve/);
    t.equal(lines.length, 2);
  }
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
