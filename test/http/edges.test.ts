/**
 * The edges of the front door (issue 15, point 6): a malformed percent-escape is a clean
 * 400, a 2 MB body from Node's http client (no `Expect: 100-continue`) gets its 413, coupon
 * ids past the highest one answer 404 without asking Redis, and MySQL statements time out
 * and its pool queue is bounded (503 past either, never a hang).
 */
import { request as httpRequest } from 'node:http';
import t from 'tap';
import { startService } from '../../src/app.js';
import { testConfig } from '../helpers/env.js';
import { captureLog, LEVEL } from '../helpers/log.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { createCoupon, issue, postJson, request, type TestService } from '../helpers/service.js';

const redisProxy = await startTcpProxy({ host: '127.0.0.1', port: 6379 });
const mysqlProxy = await startTcpProxy({ host: '127.0.0.1', port: 3306 });
const config = testConfig({
  ROLE: 'api',
  BODY_LIMIT_BYTES: '1024',
  REDIS_URL: `redis://127.0.0.1:${redisProxy.port}`,
  MYSQL_URL: `mysql://root@127.0.0.1:${mysqlProxy.port}/flash_coupon`,
  MYSQL_POOL_SIZE: '1',
  MYSQL_QUEUE_LIMIT: '2',
  MYSQL_QUERY_TIMEOUT_MS: '1000',
});
const { log, lines } = captureLog();
const service = await startService(config, log);
t.teardown(async () => {
  mysqlProxy.thaw();
  await service.stop();
  await redisProxy.close();
  await mysqlProxy.close();
});
const svc: TestService = { url: `http://127.0.0.1:${service.port}`, config, service, adminToken: service.adminToken ?? '', stop: () => service.stop() };
const couponId = await createCoupon(svc, { totalQuantity: 10 });

t.test('a malformed percent-escape is a 400 with a stable code, and no error is logged', async (t) => {
  const before = lines.length;
  for (const path of [`/api/users/%E0%A4%A/coupons`, `/api/coupons/${couponId}/issue/%ZZ`, `/api/coupons/%`]) {
    const response = await request(`${svc.url}${path}`);
    t.equal(response.status, 400, path);
    t.match(response.body, { error: { code: 'INVALID_PATH' } });
  }
  const posted = await postJson(`${svc.url}/api/coupons/%E0%A4%A/issue`, { userId: 'u1' });
  t.equal(posted.status, 400, 'also on a POST with a body');
  t.equal((await request(`${svc.url}/api/users/%41lice/coupons`)).status, 200, 'a well-formed escape still decodes');
  t.same(lines.slice(before).filter((line) => line.level >= LEVEL.error), [], 'nothing logged at error level');
});

t.test("a 2 MB body from Node's http client, which does not wait for 100 Continue, gets its 413", async (t) => {
  const body = Buffer.alloc(2 * 1024 * 1024, 'x');
  const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = httpRequest(`${svc.url}/api/coupons/${couponId}/issue`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
  t.equal(answer.status, 413);
  t.match(JSON.parse(answer.text), { error: { code: 'PAYLOAD_TOO_LARGE' } });
  t.equal((await issue(svc, couponId, 'after-big-body')).status, 202, 'still serving');
});

t.test('coupon ids above the highest one answer 404 without a Redis call', async (t) => {
  t.equal((await issue(svc, 1_000_000_000_000, 'u-high')).status, 404, 'warm: the ceiling is read once');
  await redisProxy.cut();
  // Far above any id (other tests create coupons in the same database meanwhile).
  const ids = Array.from({ length: 200 }, (_, i) => 1_000_000_000_000 + i * 7919);
  const answers = await Promise.all(ids.map((id, i) => issue(svc, id, `high-${i}`)));
  t.same([...new Set(answers.map((answer) => `${answer.status} ${(answer.body['error'] as { code: string }).code}`))], ['404 COUPON_NOT_FOUND'], 'every unknown high id: 404 COUPON_NOT_FOUND with Redis unreachable');
  t.equal((await request(`${svc.url}/api/coupons/2000000000000/issue/u1`)).status, 404, 'status of an unknown high id: 404');
  const real = await issue(svc, couponId, 'u-real');
  t.equal(real.status, 503, 'an existing coupon does need Redis: 503 while it is away');
  await redisProxy.restore();
});

t.test('a frozen MySQL: statements time out and the pool queue is bounded, 503 for all, never a hang', async (t) => {
  mysqlProxy.freeze();
  const asked = Array.from({ length: 6 }, (_, i) =>
    fetch(`${svc.url}/api/users/frozen-${i}/coupons`, { signal: AbortSignal.timeout(30_000) }).then(async (r) => ({ status: r.status, body: (await r.json()) as { error?: { code: string } } })),
  );
  const answers = await Promise.all(asked);
  t.same(answers.map((a) => a.status), [503, 503, 503, 503, 503, 503], 'every caller answered 503');
  t.ok(answers.every((a) => a.body.error?.code === 'UNAVAILABLE'), 'UNAVAILABLE');
  mysqlProxy.thaw();
  let after = await request(`${svc.url}/api/users/thawed/coupons`);
  for (let i = 0; i < 20 && after.status !== 200; i++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    after = await request(`${svc.url}/api/users/thawed/coupons`);
  }
  t.equal(after.status, 200, 'served again once MySQL answers');
});
