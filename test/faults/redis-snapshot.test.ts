/**
 * Redis loses part of its data mid-sale: it restarts from a snapshot taken earlier in the
 * sale (what a restart from an older RDB, or a failover to a replica that lagged, leaves).
 * The keys are there, but older: the gate would reuse tickets and admit past the stock. The
 * front door notices the restart (a new run id), rebuilds the coupon's gate from MySQL once
 * the queue has drained (503 meanwhile), and every promise holds with nothing forgiven.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { Redis } from 'ioredis';
import { uniqueName } from '../helpers/env.js';
import { startTestService } from '../helpers/service.js';
import { startSale, verifySale, verifyUnavailableLeftNoTrace, waitFor } from './harness.js';

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

t.test('Redis restarted from a snapshot taken earlier in the sale: rebuilt, nothing refused', async (t) => {
  const port = 16391;
  const dir = mkdtempSync(join(tmpdir(), 'fc-redis-snapshot-'));
  const startRedis = async (): Promise<ChildProcess> => {
    // No automatic saves: the only snapshot is the one the test takes.
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--dbfilename', 'gate.rdb'], { stdio: 'ignore' });
    await pause(300);
    return child;
  };
  let redis = await startRedis();
  t.teardown(() => {
    redis.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const svc = await startTestService({ ROLE: 'all', REDIS_URL: `redis://127.0.0.1:${port}`, WORKER_THREADS: '2', RECONCILE_INTERVAL_MS: '1000' });
  t.teardown(() => svc.stop());
  const stock = 2500;
  const sale = await startSale(svc, { users: 6000, stock, rate: 800, prefix: uniqueName('redis-snapshot') });
  await waitFor(async () => sale.sent(), (sent) => sent >= 800, 30000);
  const admin = new Redis(`redis://127.0.0.1:${port}`);
  await admin.save();
  admin.disconnect();
  const savedAt = sale.sent();
  await waitFor(async () => sale.sent(), (sent) => sent >= savedAt + 700, 30000);
  redis.kill('SIGKILL');
  await once(redis, 'exit');
  redis = await startRedis();
  t.pass(`snapshot after ${savedAt} requests; Redis restarted from it after ${sale.sent()}`);
  await sale.done;
  const summary = await verifySale(t, svc.config, sale, stock);
  t.equal(summary.stored, stock, `the whole stock is stored: ${JSON.stringify(summary)}`);
  await verifyUnavailableLeftNoTrace(t, svc, sale);
});
