/**
 * The operations listener (OPS_PORT): metrics, the dashboard and its WebSocket, and the
 * detailed readiness live there only; the public port keeps /healthz and a bare /readyz.
 * The WebSocket checks Origin and caps viewers per address; readiness never shows a
 * driver's error (hosts, ports, the database user).
 */
import { connect, type Socket } from 'node:net';
import t from 'tap';
import { MAX_VIEWERS_PER_ADDRESS } from '../../src/dashboard/live.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { request, startTestService } from '../helpers/service.js';

const redisProxy = await startTcpProxy({ host: '127.0.0.1', port: 6379 });
const svc = await startTestService({ ROLE: 'api', OPS_PORT: '0', REDIS_URL: `redis://127.0.0.1:${redisProxy.port}` });
t.teardown(async () => {
  await svc.stop();
  await redisProxy.close();
});
const opsPort = svc.service.opsPort;
const ops = `http://127.0.0.1:${opsPort}`;

/** A WebSocket upgrade by hand: the status code, and the socket (left open on 101). */
function upgrade(origin: string | undefined): Promise<{ status: number; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(opsPort), '127.0.0.1');
    socket.on('error', reject);
    socket.once('data', (chunk) => resolve({ status: Number(chunk.toString().slice(9, 12)), socket }));
    const originLine = origin === undefined ? '' : `Origin: ${origin}\r\n`;
    socket.write(`GET /dashboard/live HTTP/1.1\r\nHost: 127.0.0.1:${opsPort}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${originLine}\r\n`);
  });
}

t.test('the public port keeps /healthz and a bare /readyz; the rest is on the operations port', async (t) => {
  t.equal((await request(`${svc.url}/healthz`)).status, 200);
  t.same((await request(`${svc.url}/readyz`)).body, { status: 'ready' });
  t.equal((await request(`${svc.url}/metrics`)).status, 404, 'no /metrics on the public port');
  t.equal((await request(`${svc.url}/dashboard`)).status, 404, 'no /dashboard on the public port');
  t.equal((await request(`${ops}/metrics`)).status, 200, '/metrics on the operations port');
  t.equal((await request(`${ops}/dashboard`)).status, 200, '/dashboard on the operations port');
  t.equal((await request(`${ops}/api/users/u1/coupons`)).status, 404, 'no API on the operations port');
});

t.test('the dashboard WebSocket: same origin or none only, a few viewers per address', async (t) => {
  const foreign = await upgrade('https://evil.example');
  t.equal(foreign.status, 403, 'a page from another site is refused');
  foreign.socket.destroy();
  const open: Socket[] = [];
  for (let i = 0; i < MAX_VIEWERS_PER_ADDRESS; i++) {
    const viewer = await upgrade(i === 0 ? undefined : `http://127.0.0.1:${opsPort}`);
    t.equal(viewer.status, 101, `viewer ${i + 1} is let in`);
    open.push(viewer.socket);
  }
  const extra = await upgrade(`http://127.0.0.1:${opsPort}`);
  t.equal(extra.status, 503, `viewer ${MAX_VIEWERS_PER_ADDRESS + 1} from the same address is refused`);
  extra.socket.destroy();
  for (const socket of open) socket.destroy();
});

t.test('readiness while Redis is unreachable: detail on the operations port, no driver error anywhere', async (t) => {
  await redisProxy.cut();
  let detailed = await request(`${ops}/readyz`);
  for (let i = 0; i < 40 && detailed.status === 200; i++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    detailed = await request(`${ops}/readyz`);
  }
  t.equal(detailed.status, 503);
  t.match(detailed.body, { status: 'unavailable', failing: [{ name: 'redis', error: /^(timeout|unreachable|refused|error)$/ }] });
  const bare = await request(`${svc.url}/readyz`);
  t.equal(bare.status, 503);
  t.same(Object.keys(bare.body).sort(), ['error', 'status'], 'the public answer names nothing');
  for (const body of [JSON.stringify(detailed.body), JSON.stringify(bare.body)]) {
    t.notMatch(body, /127\.0\.0\.1|:\d{4,5}\b|root|ECONN|Error:/, 'no host, port, user or driver message');
  }
  await redisProxy.restore();
  let back = await request(`${ops}/readyz`);
  for (let i = 0; i < 40 && back.status !== 200; i++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    back = await request(`${ops}/readyz`);
  }
  t.equal(back.status, 200, 'ready again once Redis is back');
});
