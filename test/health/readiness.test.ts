/** /healthz and /readyz: readiness turns 503 naming Redis while it is unreachable, 200 when back. */
import t from 'tap';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { postJson, request, startTestService } from '../helpers/service.js';

const proxy = await startTcpProxy({ host: '127.0.0.1', port: 6379 });
const svc = await startTestService({ ROLE: 'api', REDIS_URL: `redis://127.0.0.1:${proxy.port}` });
t.teardown(async () => {
  await svc.stop();
  await proxy.close();
});

async function readyz(): Promise<{ status: number; body: Record<string, unknown> }> {
  return request(`${svc.url}/readyz`);
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 10000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}

t.test('ready with every dependency up', async (t) => {
  t.equal((await request(`${svc.url}/healthz`)).status, 200);
  const ready = await readyz();
  t.equal(ready.status, 200);
  t.equal(ready.body['status'], 'ready');
});

t.test('503 naming redis while Redis is unreachable, 200 again when it is back', async (t) => {
  await proxy.cut();
  t.ok(await eventually(async () => (await readyz()).status === 503), 'turns 503');
  const down = await readyz();
  t.match(down.body, { status: 'unavailable', failing: [{ name: 'redis' }], error: { code: 'UNAVAILABLE' } });
  t.equal((down.body['failing'] as unknown[]).length, 1, 'only redis is failing');
  t.equal((await request(`${svc.url}/healthz`)).status, 200, 'still alive');
  const started = Date.now();
  const refused = await postJson(`${svc.url}/api/coupons/1/issue`, { userId: 'while-redis-down' });
  t.equal(refused.status, 503, 'issue answers 503 while the gate is away');
  t.equal((refused.body['error'] as { code: string }).code, 'UNAVAILABLE');
  t.ok(Date.now() - started < svc.config.redis.commandTimeoutMs + 1000, 'fails fast instead of hanging');
  await proxy.restore();
  t.ok(await eventually(async () => (await readyz()).status === 200), 'back to 200');
});
