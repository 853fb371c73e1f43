/**
 * REDIS_WAIT_REPLICAS=1 on a real primary with a real replica: an admission is handed off
 * only once the replica has it (WAIT). With the replica frozen (SIGSTOP) nothing confirms
 * it: the user gets 503, the admission is released (no trace), and the stock stays on sale.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import t from 'tap';
import { Redis } from 'ioredis';
import { couponKeys } from '../../src/gate/keys.js';
import { createCoupon, issue, request, startTestService } from '../helpers/service.js';
import { waitFor } from '../faults/harness.js';

const PRIMARY = 16392;
const REPLICA = 16393;

function startRedis(port: number, ...args: string[]): ChildProcess {
  return spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...args], { stdio: 'ignore' });
}

const primary = startRedis(PRIMARY);
const replica = startRedis(REPLICA, '--replicaof', '127.0.0.1', String(PRIMARY));
t.teardown(() => {
  replica.kill('SIGKILL');
  primary.kill('SIGKILL');
});
const replicaClient = new Redis(`redis://127.0.0.1:${REPLICA}`, { lazyConnect: true });
t.teardown(() => replicaClient.disconnect());
await waitFor(
  () => replicaClient.info('replication').catch(() => ''),
  (info) => /master_link_status:up/.test(info),
  15000,
);
const svc = await startTestService({ ROLE: 'api', REDIS_URL: `redis://127.0.0.1:${PRIMARY}`, REDIS_WAIT_REPLICAS: '1' });
t.teardown(() => svc.stop());

t.test('with the replica up, an admission is on the replica before its 202', async (t) => {
  const couponId = await createCoupon(svc, { totalQuantity: 5 });
  const response = await issue(svc, couponId, 'replicated-1');
  t.equal(response.status, 202);
  t.equal(await replicaClient.hget(couponKeys(couponId).users, 'replicated-1'), String(response.body['ticket']), 'the replica has the admission');
});

t.test('with the replica frozen, the admission is not confirmed: 503, released, and retried once it is back', async (t) => {
  const couponId = await createCoupon(svc, { totalQuantity: 5 });
  replica.kill('SIGSTOP');
  let frozen = true;
  t.teardown(() => {
    if (frozen) replica.kill('SIGCONT');
  });
  const response = await issue(svc, couponId, 'unconfirmed-1');
  t.equal(response.status, 503, 'not confirmed by a replica: refused');
  t.equal((response.body['error'] as { code: string }).code, 'UNAVAILABLE');
  // Each unconfirmed WAIT holds the shard's connection for its timeout: for a moment after
  // one, the coupon's requests are refused without asking Redis (the gate's call counts stay).
  const primaryClient = new Redis(`redis://127.0.0.1:${PRIMARY}`);
  t.teardown(() => primaryClient.disconnect());
  const calledBefore = await primaryClient.hget(couponKeys(couponId).meta, 'n:1');
  t.equal((await issue(svc, couponId, 'unconfirmed-2')).status, 503, 'the next user is refused at once');
  t.equal(await primaryClient.hget(couponKeys(couponId).meta, 'n:1'), calledBefore, 'without another admit call');
  const status = await waitFor(
    () => request(`${svc.url}/api/coupons/${couponId}/issue/unconfirmed-1`).then((r) => r.status),
    (code) => code === 404,
    10000,
  );
  t.equal(status, 404, 'the unconfirmed admission was released: no trace');
  t.match((await request(`${svc.url}/api/coupons/${couponId}`)).body, { admitted: 0, remaining: 5 }, 'the stock is back on sale');
  replica.kill('SIGCONT');
  frozen = false;
  const retried = await waitFor(
    () => issue(svc, couponId, 'unconfirmed-1'),
    (r) => r.status !== 503,
    15000,
  );
  t.equal(retried.status, 202, 'the user may retry once the replica answers');
});
