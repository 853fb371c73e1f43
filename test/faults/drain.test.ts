/**
 * SIGTERM during a live sale (issue 15, point 5): readiness turns 503 at once, a request on
 * a keep-alive connection opened before gets 503 before the gate, requests in flight get
 * their answers, and the process exits 0 within SHUTDOWN_TIMEOUT_MS. Restarted, the sale
 * ends with every 202 stored, every 503 without a trace, and no row for a request that got
 * no answer: a clean drain answers everything it took.
 */
import { connect, type Socket } from 'node:net';
import type { RowDataPacket } from 'mysql2/promise';
import t from 'tap';
import { createPool } from '../../src/store/mysql.js';
import { testConfig, uniqueName } from '../helpers/env.js';
import { spawnService, type ServiceProcess } from '../helpers/process.js';
import { request, type TestService } from '../helpers/service.js';
import { freePort, startSale, verifySale, verifyUnavailableLeftNoTrace, waitFor, waitUntilServing } from './harness.js';

const ADMIN_TOKEN = 'drain-test-token-0123456789';

/** One HTTP/1.1 exchange on an open keep-alive socket: the status line's code and the body. */
function exchange(socket: Socket, head: string, body = ''): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    // A socket the server already closed emits no second 'close': say so instead of waiting forever.
    if (socket.destroyed) return resolve({ status: 0, text: 'the connection was closed before the request' });
    let text = '';
    const onData = (chunk: Buffer): void => {
      text += chunk.toString();
      const end = text.indexOf('\r\n\r\n');
      const length = Number(/content-length: (\d+)/i.exec(text)?.[1] ?? -1);
      if (end >= 0 && length >= 0 && text.length >= end + 4 + length) {
        socket.off('data', onData);
        resolve({ status: Number(text.slice(9, 12)), text: text.slice(end + 4, end + 4 + length) });
      }
    };
    socket.once('close', () => resolve({ status: 0, text: `closed without an answer after: ${JSON.stringify(text)}` }));
    socket.once('error', (err) => resolve({ status: 0, text: `${err.message} after: ${JSON.stringify(text)}` }));
    socket.on('data', onData);
    socket.write(`${head}\r\nHost: x\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\n\r\n${body}`);
  });
}

/**
 * A request whose body is still arriving when SIGTERM comes: it is in flight, so the drain
 * waits for it (and the process stays up while the test checks what a late request gets).
 * `finish()` sends the rest and resolves with its answer.
 */
async function slowRequest(port: number, path: string, body: string): Promise<{ finish: () => Promise<{ status: number; text: string }> }> {
  const socket = await new Promise<Socket>((resolve) => {
    const opened = connect(port, '127.0.0.1', () => resolve(opened));
  });
  const half = Math.floor(body.length / 2);
  const answer = new Promise<{ status: number; text: string }>((resolve) => {
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const end = text.indexOf('\r\n\r\n');
      const length = Number(/content-length: (\d+)/i.exec(text)?.[1] ?? -1);
      if (end >= 0 && length >= 0 && text.length >= end + 4 + length) resolve({ status: Number(text.slice(9, 12)), text: text.slice(end + 4, end + 4 + length) });
    });
    socket.once('close', () => resolve({ status: 0, text: `closed without an answer after: ${JSON.stringify(text)}` }));
    socket.once('error', (err) => resolve({ status: 0, text: err.message }));
  });
  socket.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\n\r\n${body.slice(0, half)}`);
  return {
    finish: async () => {
      socket.write(body.slice(half));
      const result = await answer;
      socket.destroy();
      return result;
    },
  };
}

t.test('SIGTERM mid-sale: a clean drain', async (t) => {
  const topic = uniqueName('t-fault-drain');
  const env = { ADMIN_TOKEN, KAFKA_TOPIC: topic, KAFKA_GROUP_ID: `${topic}-group`, WORKER_THREADS: '2', ROLE: 'all' };
  const port = String(await freePort());
  const opsPort = String(await freePort());
  const processes: ServiceProcess[] = [];
  t.teardown(async () => {
    for (const proc of processes) await proc.stop('SIGKILL');
  });
  const first = await spawnService({ ...env, PORT: port, OPS_PORT: opsPort });
  processes.push(first);
  const svc = { url: first.url, adminToken: ADMIN_TOKEN } as TestService;
  const stock = 3000;
  const sale = await startSale(svc, { users: 7000, stock, rate: 1000, prefix: uniqueName('drain') });

  await waitFor(async () => sale.sent(), (sent) => sent >= 2000, 30000);
  // Opened just before SIGTERM: an HTTP server closes a connection idle for long (uWebSockets.js
  // after 10 s), and reaching 2,000 requests can take longer than that on a busy machine.
  const keepAlive = await new Promise<Socket>((resolve) => {
    const socket = connect(first.port, '127.0.0.1', () => resolve(socket));
  });
  t.equal((await exchange(keepAlive, 'GET /healthz HTTP/1.1')).status, 200, 'a keep-alive connection open before SIGTERM');
  const inFlight = await slowRequest(first.port, `/api/coupons/${sale.couponId}/issue`, JSON.stringify({ userId: 'drain-in-flight' }));
  await new Promise((resolve) => setTimeout(resolve, 100));
  const started = Date.now();
  const exited = first.stop('SIGTERM');
  t.pass(`SIGTERM after ${sale.sent()} requests`);
  // Polled tightly: an idle drain takes a few hundred milliseconds.
  let ready = 200;
  for (let i = 0; i < 500 && ready === 200; i++) {
    ready = await request(`http://127.0.0.1:${opsPort}/readyz`).then((r) => r.status, () => 0);
    if (ready === 200) await new Promise((resolve) => setTimeout(resolve, 5));
  }
  t.equal(ready, 503, 'readiness turns 503 at once (operations listener)');
  const late = await exchange(keepAlive, `POST /api/coupons/${sale.couponId}/issue HTTP/1.1`, JSON.stringify({ userId: 'drain-keepalive' }));
  t.equal(late.status, 503, 'a request on an open keep-alive connection gets 503');
  t.match(late.status === 503 ? JSON.parse(late.text) : late.text, { error: { code: 'UNAVAILABLE' } });
  keepAlive.destroy();
  const finished = await inFlight.finish();
  t.ok([202, 409].includes(finished.status), `the request in flight at SIGTERM got its answer (${finished.status} ${finished.text})`);
  sale.outcomes.set('drain-in-flight', finished.status === 0 ? 'error' : finished.status);
  t.equal(await exited, 0, 'exit code 0: the drain finished');
  t.ok(Date.now() - started < 25_000, 'within SHUTDOWN_TIMEOUT_MS');

  const second = await spawnService({ ...env, PORT: port });
  processes.push(second);
  await waitUntilServing(svc.url);
  await sale.done;

  const config = testConfig(env);
  const summary = await verifySale(t, config, sale, stock);
  t.pass(`sale through the drain: ${JSON.stringify(summary)}`);
  t.ok(summary.unavailable > 0 || summary.transportErrors > 0, 'requests arrived during the drain and after the exit');
  await verifyUnavailableLeftNoTrace(t, svc, sale);
  t.equal((await request(`${svc.url}/api/coupons/${sale.couponId}/issue/drain-keepalive`)).status, 404, 'the keep-alive request refused during the drain left no trace');
  const unanswered = [...sale.outcomes].filter(([, outcome]) => outcome === 'error').map(([user]) => user);
  const pool = createPool(config.mysql, 1);
  try {
    const [rows] = unanswered.length === 0 ? [[]] : await pool.query<RowDataPacket[]>('SELECT user_id FROM user_coupon WHERE coupon_id = ? AND user_id IN (?)', [sale.couponId, unanswered]);
    t.same(rows, [], `none of the ${unanswered.length} requests without an answer (sent while no process listened) holds a coupon`);
  } finally {
    await pool.end();
  }
});
