/**
 * `flash-coupon reconcile --coupon N` against a real marker left by a dead front door: an
 * `--role api` process SIGKILLed while its admissions waited for a frozen Kafka broker. While
 * the front door's presence lasts the command leaves its markers alone; once it is gone the
 * command settles them: admissions that reached Kafka (stored) are kept, the others released.
 */
import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import type { RowDataPacket } from 'mysql2/promise';
import t from 'tap';
import { deploymentKeys, INSTANCE_TTL_MS } from '../../src/gate/instances.js';
import { couponKeys } from '../../src/gate/keys.js';
import type { CallReport } from '../../src/gate/reconciler.js';
import { parseMarker } from '../../src/gate/scripts.js';
import { createPool } from '../../src/store/mysql.js';
import { testConfig, uniqueName } from '../helpers/env.js';
import { startPrivateBroker } from '../helpers/kafka-broker.js';
import { CLI, spawnService, type ServiceProcess } from '../helpers/process.js';
import { startPrivateRedis } from '../helpers/redis-server.js';
import { createCoupon, issue, type TestService } from '../helpers/service.js';
import { waitFor } from '../faults/harness.js';

const ADMIN_TOKEN = 'reconcile-test-token-0123456789';
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, stdout, stderr };
}

/** The report: the JSON array, then the one-line summary. */
function parseReport(stdout: string): { reports: CallReport[]; summary: string } {
  const lines = stdout.trimEnd().split('\n');
  return { summary: lines.at(-1) ?? '', reports: JSON.parse(lines.slice(0, -1).join('\n')) as CallReport[] };
}

t.test('bad use: no --coupon is a usage slip (exit 2), a bad id one line (exit 1)', async (t) => {
  const missing = await runCli(['reconcile']);
  t.equal(missing.code, 2);
  t.match(missing.stderr, /^flash-coupon: --coupon is required\n/);
  const bad = await runCli(['reconcile', '--coupon', '12x']);
  t.equal(bad.code, 1);
  t.same(bad.stderr.trim().split('\n'), ['--coupon must be a positive integer (got "12x")']);
  const unknown = await runCli(['reconcile', '--coupon', '1', '--no-such-flag', '1']);
  t.equal(unknown.code, 2);
  t.match(unknown.stderr, /^flash-coupon: unknown option --no-such-flag\n/);
});

t.test('settles the markers of a front door killed before its hand-off, once it is gone', async (t) => {
  const redis = await startPrivateRedis(16429);
  t.teardown(() => redis.stop());
  const broker = await startPrivateBroker(19740);
  t.teardown(() => broker.destroy());
  const topic = uniqueName('t-reconcile');
  const env = { ADMIN_TOKEN, KAFKA_TOPIC: topic, KAFKA_GROUP_ID: `${topic}-group`, WORKER_THREADS: '1', REDIS_URL: redis.url, KAFKA_BROKERS: broker.brokers };
  const processes: ServiceProcess[] = [];
  t.teardown(async () => {
    for (const proc of processes) await proc.stop('SIGKILL');
  });
  processes.push(await spawnService({ ...env, ROLE: 'consumer' }));
  const api = await spawnService({ ...env, ROLE: 'api' });
  processes.push(api);
  const svc = { url: api.url, adminToken: ADMIN_TOKEN } as TestService;
  const couponId = await createCoupon(svc, { totalQuantity: 10 });

  // One send stuck in the frozen broker, five admissions waiting behind it; then the kill.
  broker.freeze();
  void issue(svc, couponId, 'first').catch(() => undefined);
  await pause(300);
  for (const user of ['u1', 'u2', 'u3', 'u4', 'u5']) void issue(svc, couponId, user).catch(() => undefined);
  await pause(500);
  await api.stop('SIGKILL');
  broker.thaw();
  const gateRedis = new Redis(redis.url);
  t.teardown(() => gateRedis.disconnect());
  const keys = couponKeys(couponId);
  const marked = Object.values(await gateRedis.hgetall(keys.handoff)).flatMap((raw) => parseMarker(raw).admitted.map(([userId]) => userId));
  t.same([...marked].sort(), ['first', 'u1', 'u2', 'u3', 'u4', 'u5'], 'the dead front door left markers for its six admissions');
  const flags = ['--coupon', String(couponId), '--redis-url', redis.url, '--kafka-brokers', broker.brokers, '--kafka-topic', topic, '--kafka-group-id', `${topic}-group`];

  const early = await runCli(['reconcile', ...flags]);
  t.equal(early.code, 0, `exit 0 (stderr: ${early.stderr})`);
  const before = parseReport(early.stdout);
  t.ok(before.reports.length > 0 && before.reports.every((r) => r.action === 'left (front door alive)' && r.released === 0), 'while its presence lasts, the markers are left alone');
  t.match(before.summary, new RegExp(`^coupon ${couponId}: ${before.reports.length} hand-off markers, 0 settled`));

  // A front door counts as alive for 15 s after its last beat (by Redis's clock).
  await waitFor(
    async () => {
      const [seconds] = await gateRedis.time();
      return (await gateRedis.zrangebyscore(deploymentKeys(topic).frontDoors, Number(seconds) * 1000 - INSTANCE_TTL_MS, '+inf')).length;
    },
    (alive) => alive === 0,
    20000,
  );
  const late = await runCli(['reconcile', ...flags]);
  t.equal(late.code, 0, `exit 0 (stderr: ${late.stderr})`);
  const after = parseReport(late.stdout);
  t.ok(after.reports.every((r) => r.action === 'settled'), `every marker settled: ${after.summary}`);
  const pool = createPool(testConfig(env).mysql, 1);
  t.teardown(() => pool.end());
  const [rows] = await pool.query<RowDataPacket[]>('SELECT user_id FROM user_coupon WHERE coupon_id = ?', [couponId]);
  const stored = new Set(rows.map((row) => String(row.user_id)));
  const released = after.reports.reduce((sum, r) => sum + r.released, 0);
  const kept = after.reports.reduce((sum, r) => sum + r.kept, 0);
  t.equal(kept, stored.size, `kept the ${stored.size} admissions that reached Kafka and were stored`);
  t.equal(released, 6 - stored.size, `released the ${6 - stored.size} that never left the dead process`);
  t.ok(released >= 5, 'the five waiting behind the stuck send were never sent');
  t.match(after.summary, new RegExp(`${after.reports.length} settled \\(${released} admissions released, ${kept} kept\\)`));
  t.same(await gateRedis.hgetall(keys.handoff), {}, 'no marker left');
  for (const user of marked) t.equal((await gateRedis.hget(keys.users, user)) !== null, stored.has(user), `${user}: admitted in the gate exactly when stored`);
  t.equal(Number(await gateRedis.hget(keys.meta, 'admitted')), stored.size, 'the released stock is back on sale');
});
