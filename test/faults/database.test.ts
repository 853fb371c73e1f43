/**
 * MariaDB refusing for a while during a live sale, caused for real: the server read-only
 * for 10 s, a row lock held on the coupon (lock-wait timeouts). Both must wait, not spend
 * the tries: every 202 stored, nothing dead-lettered. And a batch dead-lettered for good
 * (INSERT revoked from the service's own account until its tries run out): its users'
 * status says DEAD_LETTERED, and `flash-coupon dlq replay`, run as an operator would once
 * the grant is back, stores it once; a second replay stores nothing.
 */
import { spawn } from 'node:child_process';
import type { RowDataPacket } from 'mysql2/promise';
import { Redis } from 'ioredis';
import t, { type Test } from 'tap';
import type { Config } from '../../src/config/index.js';
import { writerRetries } from '../../src/consumer/metrics.js';
import { createKafka } from '../../src/queue/kafka/client.js';
import { redisQueueKeys } from '../../src/queue/redis-list/keys.js';
import type { Pool } from '../../src/store/mysql.js';
import { openStore, testLogger } from '../consumer/helpers.js';
import { testConfig, uniqueName } from '../helpers/env.js';
import { createTestUser } from '../helpers/mysql-user.js';
import { CLI } from '../helpers/process.js';
import { request, startTestService, type TestService } from '../helpers/service.js';
import { startSale, verifySale, verifyUnavailableLeftNoTrace, waitFor } from './harness.js';

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function rowCount(root: Pool, couponId: number): Promise<number> {
  const [[row]] = await root.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM user_coupon WHERE coupon_id = ?', [couponId]);
  return Number(row?.n);
}

async function markCount(root: Pool, couponId: number): Promise<number> {
  const [[row]] = await root.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM issue_dead_letter WHERE coupon_id = ?', [couponId]);
  return Number(row?.n);
}

/** Dead letters waiting: messages in the DLQ topic, or entries in the Redis DLQ list. */
async function deadLetterCount(config: Config): Promise<number> {
  if (config.queue === 'redis') {
    const redis = new Redis(config.redis.url, { lazyConnect: true });
    try {
      await redis.connect();
      return await redis.llen(redisQueueKeys(config.kafka.topic).deadLetters);
    } finally {
      redis.disconnect();
    }
  }
  const admin = createKafka(config.kafka, testLogger(config), '-test').admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(config.kafka.dlqTopic);
    return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

const retries = async (): Promise<number> => (await writerRetries.get()).values[0]?.value ?? 0;

/**
 * Watches a fault that lasts `ms` from now: rows a second in (writers already inside a
 * transaction finish first) and at the end, and the retries meanwhile.
 */
async function watchFault(root: Pool, couponId: number, ms: number): Promise<{ rowsEarly: number; rowsLate: number; retriesDuring: number }> {
  const retriesBefore = await retries();
  await pause(1000);
  const rowsEarly = await rowCount(root, couponId);
  await pause(ms - 1000);
  const rowsLate = await rowCount(root, couponId);
  return { rowsEarly, rowsLate, retriesDuring: (await retries()) - retriesBefore };
}

/** The checks every "waiting, not dead-lettering" scenario ends with. */
async function verifyNothingDeadLettered(t: Test, svc: TestService, root: Pool, sale: Awaited<ReturnType<typeof startSale>>, stock: number): Promise<void> {
  const summary = await verifySale(t, svc.config, sale, stock);
  t.pass(`sale through the fault: ${JSON.stringify(summary)}`);
  t.equal(summary.stored, stock, 'no undersell: more users asked than the stock, the whole stock is stored');
  t.equal(summary.rejected, 0, 'nothing refused by the database');
  t.equal(await deadLetterCount(svc.config), 0, 'nothing dead-lettered');
  t.equal(await markCount(root, sale.couponId), 0, 'no user told DEAD_LETTERED');
  await verifyUnavailableLeftNoTrace(t, svc, sale);
}

t.test('MariaDB read-only for 10 s during the sale: writers wait, every 202 stored, nothing dead-lettered', async (t) => {
  const base = testConfig();
  const root = await openStore(base);
  const user = await createTestUser(root, base.mysql.database, 'fc_readonly');
  const running: { svc?: TestService } = {};
  let readOnlyTouched = false;
  t.teardown(async () => {
    // Whatever happened: the server is writable again before anything else.
    if (readOnlyTouched) await root.query('SET GLOBAL read_only = OFF');
    await running.svc?.stop();
    await user.drop();
    await root.end();
  });
  // No READ_ONLY ADMIN (nor SUPER): read_only holds this account, not root.
  await user.grant('SELECT, INSERT, UPDATE, DELETE, CREATE', '*');
  await root.query('CREATE TABLE IF NOT EXISTS fc_read_only_probe (id INT PRIMARY KEY, at DATETIME(3) NOT NULL)');
  // Two tries and short backoff: without the fix the batches would be dead-lettered in
  // well under a second of read-only.
  const svc = await startTestService({ ROLE: 'all', MYSQL_URL: user.url, WORKER_THREADS: '2', WRITER_RETRY_ATTEMPTS: '2', WRITER_RETRY_BASE_MS: '50' });
  running.svc = svc;
  const stock = 3000;
  const sale = await startSale(svc, { users: 6000, stock, rate: 500, prefix: uniqueName('mysql-ro') });
  await waitFor(async () => sale.sent(), (sent) => sent >= 1000, 30000);

  readOnlyTouched = true;
  await root.query('SET GLOBAL read_only = ON');
  // Other tests write as root: if root were held too, undo it at once and stop here.
  try {
    await root.query('REPLACE INTO fc_read_only_probe (id, at) VALUES (1, NOW(3))');
  } catch (err) {
    await root.query('SET GLOBAL read_only = OFF');
    throw new Error(`root cannot write while read_only is ON (${(err as Error).message}): this test needs root with READ_ONLY ADMIN`);
  }
  t.pass(`MariaDB read-only after ${sale.sent()} requests; root still writes`);
  const { rowsEarly, rowsLate, retriesDuring } = await watchFault(root, sale.couponId, 9500);
  await root.query('SET GLOBAL read_only = OFF');
  t.pass(`MariaDB writable again after ${sale.sent()} requests`);
  t.equal(rowsLate, rowsEarly, `no row stored while read-only (${rowsEarly} rows)`);
  t.ok(retriesDuring > 2, `the writers were refused and waited (${retriesDuring} retries, more than the 2 tries)`);

  await sale.done;
  await verifyNothingDeadLettered(t, svc, root, sale, stock);
});

t.test('a row lock held on the coupon: lock-wait timeouts wait, every 202 stored once released', async (t) => {
  const base = testConfig();
  const root = await openStore(base);
  // Lock waits of 1 s and two tries: the old policy dead-letters within about 2 s.
  const svc = await startTestService({ ROLE: 'all', WORKER_THREADS: '2', WRITER_LOCK_WAIT_TIMEOUT_S: '1', WRITER_RETRY_ATTEMPTS: '2', WRITER_RETRY_BASE_MS: '50' });
  const holder = await root.getConnection();
  let holding = false;
  t.teardown(async () => {
    if (holding) await holder.rollback().catch(() => undefined);
    holder.release();
    await svc.stop();
    await root.end();
  });
  const stock = 2000;
  const sale = await startSale(svc, { users: 4000, stock, rate: 500, prefix: uniqueName('mysql-lock') });
  await waitFor(async () => sale.sent(), (sent) => sent >= 800, 30000);

  await holder.beginTransaction();
  holding = true;
  await holder.query('SELECT id FROM coupon WHERE id = ? FOR UPDATE', [sale.couponId]);
  t.pass(`coupon row locked by another transaction after ${sale.sent()} requests`);
  const { rowsEarly, rowsLate, retriesDuring } = await watchFault(root, sale.couponId, 7000);
  await holder.rollback();
  holding = false;
  t.pass(`lock released after ${sale.sent()} requests`);
  t.equal(rowsLate, rowsEarly, `no row stored while the lock was held (${rowsEarly} rows)`);
  t.ok(retriesDuring > 2, `lock-wait timeouts were retried without spending the tries (${retriesDuring} retries)`);

  await sale.done;
  await verifyNothingDeadLettered(t, svc, root, sale, stock);
});

interface ReplayRun {
  code: number | null;
  report: Record<string, unknown>;
  stderr: string;
}

/** `flash-coupon dlq replay ...` as an operator runs it, with the service's settings. */
async function replay(config: Config, mysqlUrl: string, args: string[] = []): Promise<ReplayRun> {
  const env = {
    ...process.env,
    QUEUE: config.queue,
    MYSQL_URL: mysqlUrl,
    KAFKA_TOPIC: config.kafka.topic,
    KAFKA_GROUP_ID: config.kafka.groupId,
    WRITER_RETRY_ATTEMPTS: '2',
    WRITER_RETRY_BASE_MS: '50',
    LOG_LEVEL: 'warn',
  };
  const child = spawn(process.execPath, [CLI, 'dlq', 'replay', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  let report: Record<string, unknown> = {};
  try {
    report = JSON.parse(stdout.trim().split('\n').pop() ?? '') as Record<string, unknown>;
  } catch {
    // Left empty: the assertions on it fail and print stderr.
  }
  return { code, report, stderr };
}

for (const queue of ['kafka', 'redis'] as const) {
  t.test(`QUEUE=${queue}: a dead-lettered batch says so, and dlq replay stores it once the cause is fixed`, async (t) => {
    const base = testConfig();
    const root = await openStore(base);
    const user = await createTestUser(root, base.mysql.database, 'fc_dlq');
    const running: { svc?: TestService } = {};
    t.teardown(async () => {
      await running.svc?.stop();
      await user.drop();
      await root.end();
    });
    await user.grant('SELECT, CREATE', '*');
    await user.grant('INSERT, UPDATE', 'coupon');
    await user.grant('INSERT', 'issue_rejection');
    await user.grant('INSERT, UPDATE, DELETE', 'issue_dead_letter');
    // The cause: storing a coupon is not allowed.
    await user.grant('INSERT', 'user_coupon');
    await user.revoke('INSERT', 'user_coupon');
    const svc = await startTestService({ ROLE: 'all', QUEUE: queue, MYSQL_URL: user.url, WORKER_THREADS: '2', WRITER_RETRY_ATTEMPTS: '2', WRITER_RETRY_BASE_MS: '50' });
    running.svc = svc;
    const stock = 200;
    const sale = await startSale(svc, { users: 400, stock, rate: 400, concurrency: 16, prefix: uniqueName(`dlq-${queue}`) });
    await sale.done;
    const accepted = [...sale.outcomes].filter(([, outcome]) => outcome === 202).map(([id]) => id);
    t.equal(accepted.length, stock, 'the gate admitted the stock');

    const marked = await waitFor(() => markCount(root, sale.couponId), (n) => n === accepted.length, 60000);
    t.equal(marked, accepted.length, 'every accepted request is marked dead-lettered');
    t.equal(await deadLetterCount(svc.config), accepted.length, 'and is in the dead-letter queue');
    t.equal(await rowCount(root, sale.couponId), 0, 'nothing stored');
    const first = accepted[0] as string;
    const statusUrl = `${svc.url}/api/coupons/${sale.couponId}/issue/${first}`;
    const dead = await request(statusUrl);
    t.match(dead, { status: 200, body: { status: 'DEAD_LETTERED', reason: 'WRITE_FAILED', userId: first } }, 'the status says so, not PENDING');

    const other = await replay(svc.config, user.url, ['--coupon', String(sale.couponId + 1_000_000)]);
    t.match(other, { code: 0, report: { read: accepted.length, skipped: accepted.length, stored: 0, failed: 0 } }, `--coupon of another coupon skips them: ${other.stderr}`);

    const stillBroken = await replay(svc.config, user.url);
    t.match(stillBroken, { code: 1, report: { read: accepted.length, stored: 0, failed: accepted.length } }, 'replayed before the fix: they fail again');
    t.match((stillBroken.report['errors'] as string[] | undefined)?.[0], /INSERT command denied/);
    t.equal((await request(statusUrl)).body['status'], 'DEAD_LETTERED', 'and stay dead-lettered');
    t.equal(await deadLetterCount(svc.config), accepted.length, 'still in the dead-letter queue');

    await user.grant('INSERT', 'user_coupon');
    const fixed = await replay(svc.config, user.url);
    t.match(fixed, { code: 0, report: { read: accepted.length, stored: accepted.length, duplicates: 0, rejected: 0, failed: 0, skipped: 0 } }, `replay once fixed stores them all: ${fixed.stderr}`);
    const summary = await verifySale(t, svc.config, sale, stock);
    t.equal(summary.stored, stock, 'every 202 stored');
    t.match((await request(statusUrl)).body, { status: 'ISSUED' }, 'the status is ISSUED');
    t.equal(await markCount(root, sale.couponId), 0, 'no user is told DEAD_LETTERED any more');

    const again = await replay(svc.config, user.url);
    t.match(again, { code: 0, report: { stored: 0, failed: 0 } }, `a second replay stores nothing: ${JSON.stringify(again.report)}`);
    const oneCoupon = await replay(svc.config, user.url, [`--coupon=${sale.couponId}`]);
    t.match(oneCoupon, { code: 0, report: { stored: 0, failed: 0 } }, `nor does one for the coupon (its own group, Kafka re-reads: duplicates): ${JSON.stringify(oneCoupon.report)}`);
    t.equal(await rowCount(root, sale.couponId), stock, 'rows unchanged');
  });
}
