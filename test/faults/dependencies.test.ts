/**
 * A dependency fails during a live sale: Kafka stopped and started, Redis restarted with
 * its data lost, MariaDB unreachable for 10 s. The same final check holds after each.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import t from 'tap';
import { startPrivateBroker } from '../helpers/kafka-broker.js';
import { uniqueName } from '../helpers/env.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { request, startTestService } from '../helpers/service.js';
import { startSale, verifySale, verifyUnavailableLeftNoTrace, waitFor } from './harness.js';

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

t.test('Kafka stopped and started again during the sale', async (t) => {
  const broker = await startPrivateBroker(19392);
  t.teardown(() => broker.destroy());
  // A send pending for 1 s counts as a stall: new requests are refused before the gate.
  const svc = await startTestService({ ROLE: 'all', KAFKA_BROKERS: broker.brokers, WORKER_THREADS: '2', HANDOFF_STALL_MS: '1000' });
  t.teardown(() => svc.stop());
  // Enough users after the outage to sell the whole stock even if every user during it is refused.
  const stock = 5000;
  const sale = await startSale(svc, { users: 12000, stock, rate: 600, prefix: uniqueName('kafka-down') });
  await waitFor(async () => sale.sent(), (sent) => sent >= 1000, 30000);
  await broker.stop();
  t.pass(`Kafka stopped after ${sale.sent()} requests`);
  await pause(4000);
  await broker.start();
  t.pass(`Kafka started again after ${sale.sent()} requests`);
  await sale.done;
  // Admitted requests wait for Kafka (resent until acknowledged) and end stored; any refused
  // before the gate left no trace. (This crowd waits for each answer, so while Kafka is down
  // its connections hold admitted requests; refusals are shown by test/queue/kafka/producer.)
  const summary = await verifySale(t, svc.config, sale, stock);
  t.pass(`sale through the outage: ${JSON.stringify(summary)}`);
  t.equal(summary.stored, stock, 'no undersell: more users asked than the stock, the whole stock is stored');
  await verifyUnavailableLeftNoTrace(t, svc, sale);
});

t.test('Redis restarted (its data lost) during the sale: the gate rebuilds from MySQL', async (t) => {
  const port = 16390;
  const startRedis = async (): Promise<ReturnType<typeof spawn>> => {
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await pause(300);
    return child;
  };
  let redis = await startRedis();
  t.teardown(() => {
    redis.kill('SIGKILL');
  });
  const svc = await startTestService({ ROLE: 'all', REDIS_URL: `redis://127.0.0.1:${port}`, WORKER_THREADS: '2' });
  t.teardown(() => svc.stop());
  const stock = 2500;
  const sale = await startSale(svc, { users: 6000, stock, rate: 800, prefix: uniqueName('redis-lost') });
  await waitFor(async () => sale.sent(), (sent) => sent >= 1500, 30000);
  redis.kill('SIGKILL');
  await once(redis, 'exit');
  t.pass(`Redis killed (data lost) after ${sale.sent()} requests`);
  await pause(1500);
  redis = await startRedis();
  await sale.done;
  // The rebuild waits for every admission made before the loss to be stored (503 meanwhile),
  // so the rebuilt gate never admits past the stock: no refusal by the database.
  const summary = await verifySale(t, svc.config, sale, stock);
  t.ok(summary.stored === stock || summary.accepted < stock, `stock filled, never exceeded: ${JSON.stringify(summary)}`);
  await verifyUnavailableLeftNoTrace(t, svc, sale);
  const holdersAgain = await Promise.all(
    [...sale.outcomes].filter(([, outcome]) => outcome === 202).slice(0, 20).map(([user]) =>
      fetch(`${svc.url}/api/coupons/${sale.couponId}/issue`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId: user }) }).then((r) => r.status),
    ),
  );
  t.ok(holdersAgain.every((status) => status === 409), 'users admitted before the loss are not admitted again');
});

t.test('MariaDB unreachable for 10 s during the sale: storage is delayed, nothing lost', async (t) => {
  // Every connection to MariaDB goes through a proxy that is cut for 10 s: what the
  // service sees when the database stops, without stopping the server other tests share.
  const proxy = await startTcpProxy({ host: '127.0.0.1', port: 3306 });
  t.teardown(() => proxy.close());
  const svc = await startTestService({ ROLE: 'all', MYSQL_URL: `mysql://root@127.0.0.1:${proxy.port}/flash_coupon`, WORKER_THREADS: '2' });
  t.teardown(() => svc.stop());
  const stock = 3000;
  const sale = await startSale(svc, { users: 6000, stock, rate: 600, prefix: uniqueName('mysql-down') });
  await waitFor(async () => sale.sent(), (sent) => sent >= 1000, 30000);
  await proxy.cut();
  t.pass(`MariaDB cut off after ${sale.sent()} requests`);
  // A read that needs the database says it is away (503, retry), not "internal error".
  const read = await request(`${svc.url}/api/coupons/${sale.couponId}`);
  t.equal(read.status, 503, `a coupon read while MariaDB is away: ${JSON.stringify(read.body)}`);
  t.equal((read.body['error'] as { code?: string } | undefined)?.code, 'UNAVAILABLE');
  t.ok(read.headers.get('x-request-id'), 'the 503 carries a request id for the log line');
  await pause(10000);
  await proxy.restore();
  t.pass('MariaDB reachable again');
  await sale.done;
  const summary = await verifySale(t, svc.config, sale, stock);
  t.ok(summary.accepted > 0, JSON.stringify(summary));
});
