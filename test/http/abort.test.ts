/**
 * uWebSockets.js kills the process on a write after an abort; these clients vanish at every
 * stage of a request and the service must keep serving everyone else.
 */
import { connect } from 'node:net';
import t from 'tap';
import { createCoupon, issue, request, startTestService } from '../helpers/service.js';

const svc = await startTestService({ ROLE: 'api' });
t.teardown(() => svc.stop());
const port = Number(new URL(svc.url).port);
const couponId = await createCoupon(svc, { totalQuantity: 1000 });

function rawRequest(payload: string, closeAfterMs: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(payload);
      setTimeout(() => {
        socket.destroy();
        resolve();
      }, closeAfterMs);
    });
    socket.on('error', () => resolve());
  });
}

t.test('clients that abort mid-body, mid-headers or before the answer', async (t) => {
  const body = JSON.stringify({ userId: 'gone-1' });
  const head = (length: number): string => `POST /api/coupons/${couponId}/issue HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;
  await Promise.all([
    rawRequest(head(body.length) + body.slice(0, 5), 5),
    rawRequest(`POST /api/coupons/${couponId}/iss`, 5),
    ...Array.from({ length: 50 }, (_, i) => rawRequest(head(JSON.stringify({ userId: `gone-${i}` }).length) + JSON.stringify({ userId: `gone-${i}` }), 0)),
  ]);
  const ok = await issue(svc, couponId, 'still-here');
  t.equal(ok.status, 202, 'the next user is served');
  t.equal((await request(`${svc.url}/healthz`)).status, 200);
});

t.test('an aborted request that was admitted is either accepted or released, never half', async (t) => {
  await new Promise((resolve) => setTimeout(resolve, 500));
  const coupon = await request(`${svc.url}/api/coupons/${couponId}`);
  const admitted = coupon.body['admitted'] as number;
  let pendingOrStored = 0;
  for (let i = 0; i < 50; i++) {
    const status = await request(`${svc.url}/api/coupons/${couponId}/issue/gone-${i}`);
    if (status.status === 200) pendingOrStored++;
  }
  t.equal(admitted, pendingOrStored + 1, 'the gate counts exactly the admitted aborters plus still-here');
});
