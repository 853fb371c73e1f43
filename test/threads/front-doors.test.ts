/**
 * FRONT_DOOR_THREADS=2, the binary as users run it: two front doors in one process on one
 * port (the main thread and a worker thread), each its own gate client and producer, and a
 * sale through that port still issues exactly the stock, once per user, every 202 stored.
 */
import { get } from 'node:http';
import t from 'tap';
import { Redis } from 'ioredis';
import { deploymentKeys } from '../../src/gate/instances.js';
import { testConfig, uniqueName } from '../helpers/env.js';
import { spawnService } from '../helpers/process.js';
import type { TestService } from '../helpers/service.js';
import { startSale, verifySale, waitFor } from '../faults/harness.js';

const topic = uniqueName('t-threads');
const adminToken = 'threads-test-token-0123456789';
const env = { ROLE: 'all', FRONT_DOOR_THREADS: '2', KAFKA_TOPIC: topic, KAFKA_GROUP_ID: `${topic}-group`, ADMIN_TOKEN: adminToken, WORKER_THREADS: '2' };
const proc = await spawnService(env);
t.teardown(() => proc.stop('SIGKILL'));
const config = testConfig(env);
const redis = new Redis(config.redis.url);
t.teardown(() => redis.disconnect());
let saleRequests = 0;

t.test('two front doors of one process serve one port, and the sale is exact', async (t) => {
  const pid = proc.child.pid as number;
  // Each front door beats its own presence entry ("<host>-<pid>-<tag>").
  const mine = await waitFor(
    async () => (await redis.zrange(deploymentKeys(topic).frontDoors, 0, -1)).filter((id) => id.includes(`-${pid}-`)),
    (ids) => ids.length >= 2,
    30000,
  );
  t.equal(mine.length, 2, `two front doors in process ${pid}`);
  const svc = { url: proc.url, adminToken, config } as TestService;
  const stock = 300;
  const sale = await startSale(svc, { users: 2000, stock, rate: 2000, concurrency: 64, prefix: uniqueName('threads') });
  await sale.done;
  const summary = await verifySale(t, config, sale, stock);
  t.equal(summary.accepted, stock, `exactly the stock admitted: ${JSON.stringify(summary)}`);
  t.equal(summary.stored, stock);
  saleRequests = sale.sent();
});

/** GET /metrics on a connection of its own, so the kernel may hand it to either thread. */
function scrapeOnNewConnection(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(`${url}/metrics`, { agent: false }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => (response.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${response.statusCode}: ${body.slice(0, 300)}`))));
    }).on('error', reject);
  });
}

const sumOf = (text: string, pattern: RegExp): number => [...text.matchAll(pattern)].reduce((sum, match) => sum + Number(match[1]), 0);

t.test('every scrape counts both threads, whichever thread answers it', async (t) => {
  for (let scrape = 1; scrape <= 12; scrape++) {
    const text = await scrapeOnNewConnection(proc.url);
    const issues = sumOf(text, /^flash_coupon_http_requests_total\{route="\/api\/coupons\/:couponId\/issue"[^}]*\} (\d+)$/gm);
    const admitted = sumOf(text, /^flash_coupon_admissions_total\{outcome="ADMITTED"\} (\d+)$/gm);
    t.equal(issues, saleRequests, `scrape ${scrape}: ${issues} issue requests counted, ${saleRequests} sent`);
    t.equal(admitted, 300, `scrape ${scrape}: admissions of both threads`);
    t.equal([...text.matchAll(/^process_start_time_seconds /gm)].length, 1, `scrape ${scrape}: process-wide metrics once, not once per thread`);
  }
});

t.test('SIGTERM stops both front doors and the process exits 0', async (t) => {
  const code = await proc.stop('SIGTERM');
  t.equal(code, 0, `exit code ${String(code)}, signal ${String(proc.child.signalCode)}`);
});

t.test('a consumer-only process cannot have front-door threads', async (t) => {
  const { spawn } = await import('node:child_process');
  const { CLI } = await import('../helpers/process.js');
  const child = spawn(process.execPath, [CLI, 'serve', '--role', 'consumer', '--threads', '2'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  t.equal(code, 1);
  t.match(stderr, /FRONT_DOOR_THREADS above 1 needs a role with a front door/);
});
