/**
 * The gate's Redis misbehaves mid-admission, in both queue modes: frozen for 2.5 s (SIGSTOP,
 * then SIGCONT), and its client connections killed (CLIENT KILL) mid-sale. Calls in flight
 * then get no answer; whatever Redis did with them, every 202 is stored, every 503 leaves no
 * trace, and the whole stock is sold within the bound once the fault is over.
 */
import t, { type Test } from 'tap';
import { uniqueName } from '../helpers/env.js';
import { startPrivateRedis, type PrivateRedis } from '../helpers/redis-server.js';
import { startTestService } from '../helpers/service.js';
import { checkPromises, releasedTotal, startSale, waitFor } from './harness.js';

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

type Fault = (redis: PrivateRedis, t: Test) => Promise<void>;

const frozenFor =
  (ms: number): Fault =>
  async (redis) => {
    redis.freeze();
    await pause(ms);
    redis.thaw();
  };

// Three kills 400 ms apart, so some land on admit calls in flight.
const killClients: Fault = async (redis, t) => {
  for (let i = 0; i < 3; i++) {
    const killed = await redis.killClients(['TYPE', 'normal']);
    t.ok(killed > 0, `CLIENT KILL TYPE normal closed ${killed} connections`);
    await pause(400);
  }
};

async function scenario(t: Test, name: string, queue: 'kafka' | 'redis', port: number, fault: Fault): Promise<void> {
  const redis = await startPrivateRedis(port);
  t.teardown(() => redis.stop());
  const svc = await startTestService({ ROLE: 'all', QUEUE: queue, REDIS_URL: redis.url, WORKER_THREADS: '2' });
  t.teardown(() => svc.stop());
  const releasedBefore = await releasedTotal(svc.url);
  const stock = 2000;
  const prefix = uniqueName(`${name}-${queue}`);
  const sale = await startSale(svc, { users: 5000, stock, rate: 800, prefix });
  await waitFor(async () => sale.sent(), (sent) => sent >= 1000, 30000);
  const faultAt = sale.sent();
  await fault(redis, t);
  const faultEndedAt = Date.now();
  t.pass(`${name} from request ${faultAt} to ${sale.sent()}`);
  await sale.done;
  await checkPromises(t, { scenario: `${name}, QUEUE=${queue}`, config: svc.config, url: svc.url, sale, stock, faultEndedAt, prefix, releasedBefore });
}

t.test('Redis frozen 2.5 s mid-admission, QUEUE=kafka', (t) => scenario(t, 'redis-frozen', 'kafka', 16420, frozenFor(2500)));
t.test('Redis frozen 2.5 s mid-admission, QUEUE=redis', (t) => scenario(t, 'redis-frozen', 'redis', 16421, frozenFor(2500)));
// Longer than a caller waits to learn what its call did (5 tries): its users get 503, and a
// call that ran in time would be released in the background once Redis answers.
t.test('Redis frozen 7 s mid-admission, QUEUE=kafka', (t) => scenario(t, 'redis-frozen-7s', 'kafka', 16431, frozenFor(7000)));
t.test('the gate\'s Redis connections killed mid-sale, QUEUE=kafka', (t) => scenario(t, 'clients-killed', 'kafka', 16422, killClients));
t.test('the gate\'s Redis connections killed mid-sale, QUEUE=redis', (t) => scenario(t, 'clients-killed', 'redis', 16423, killClients));
