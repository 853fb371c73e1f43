/**
 * Abusive clients: slowloris-style dribbling headers, 10,000 open idle connections, and one
 * user hammering from many connections. The service keeps serving everyone else. The
 * service runs as its own process so the 10,000 sockets count against it, as in production.
 */
import { connect, type Socket } from 'node:net';
import t from 'tap';
import { spawnService } from '../helpers/process.js';
import { uniqueName } from '../helpers/env.js';
import { createCoupon, issue, request, type TestService } from '../helpers/service.js';

const adminToken = 'abuse-test-token-0123456789';
const proc = await spawnService({ ROLE: 'api', ADMIN_TOKEN: adminToken, KAFKA_TOPIC: uniqueName('t-abuse') });
t.teardown(() => proc.stop('SIGKILL'));
const svc = { url: proc.url, adminToken } as TestService;
const couponId = await createCoupon(svc, { totalQuantity: 100_000 });

function open(count: number): Promise<Socket[]> {
  return Promise.all(
    Array.from({ length: count }, () => new Promise<Socket>((resolve, reject) => {
      const socket = connect(proc.port, '127.0.0.1', () => resolve(socket));
      socket.on('error', reject);
    })),
  );
}

t.test('slowloris: clients dribbling headers do not starve others', async (t) => {
  const slow = await open(200);
  let closedByServer = 0;
  for (const socket of slow) {
    socket.on('close', () => closedByServer++);
    socket.on('error', () => undefined);
  }
  const request_ = 'POST /api/coupons/1/issue HTTP/1.1\r\nHost: x\r\nX-Slow: ';
  for (let i = 0; i < 6; i++) {
    for (const socket of slow) if (!socket.destroyed) socket.write(request_[i] ?? 'a');
    const ok = await issue(svc, couponId, `normal-${i}`);
    t.equal(ok.status, 202, `a normal user is served while 200 clients dribble (round ${i + 1})`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  for (const socket of slow) socket.destroy();
  t.comment(`${closedByServer} slow connections closed by the server during the test`);
});

t.test('10,000 open idle connections: others are still served', async (t) => {
  const idle = await open(10_000);
  t.equal(idle.length, 10_000, 'all 10,000 connected');
  const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => issue(svc, couponId, `busy-${i}`)));
  t.ok(responses.every((r) => r.status === 202), 'every normal request accepted');
  t.equal((await request(`${proc.url}/healthz`)).status, 200);
  for (const socket of idle) socket.destroy();
});

t.test('one user from 200 connections at once is admitted once', async (t) => {
  const responses = await Promise.all(
    Array.from({ length: 200 }, () =>
      fetch(`${proc.url}/api/coupons/${couponId}/issue`, { method: 'POST', headers: { 'content-type': 'application/json', connection: 'close' }, body: JSON.stringify({ userId: 'greedy' }) }),
    ),
  );
  t.equal(responses.filter((r) => r.status === 202).length, 1);
  t.equal(responses.filter((r) => r.status === 409).length, 199);
  t.equal((await issue(svc, couponId, 'after-greedy')).status, 202, 'others still served');
});
