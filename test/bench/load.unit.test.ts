/**
 * Phase 1's load generator against two stand-in front doors (plain node:http servers on
 * free ports, no service behind them): the connections are spread over every --url, each
 * request goes to its user's coupon once, and every answer is counted by coupon and class.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { runLoad } from '../../bench/load.js';
import { couponIndexOf, SCENARIOS, userIdOf, type Scenario } from '../../bench/scenarios.js';

interface Door {
  readonly url: string;
  readonly server: Server;
  /** "userId>couponId" of every request it got. */
  readonly seen: string[];
}

/** Admits a user's first request for a coupon while the coupon has stock; 409 after. */
function frontDoor(stock: number, holders: Map<string, Set<string>>): Promise<Door> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const couponId = /^\/api\/coupons\/(\d+)\/issue$/.exec(req.url ?? '')?.[1] ?? '?';
      const userId = (JSON.parse(body) as { userId: string }).userId;
      seen.push(`${userId}>${couponId}`);
      const users = holders.get(couponId) ?? new Set<string>();
      holders.set(couponId, users);
      const admitted = !users.has(userId) && users.size < stock;
      if (admitted) users.add(userId);
      res.writeHead(admitted ? 202 : 409, { 'content-type': 'application/json' });
      res.end(admitted ? '{"status":"ACCEPTED","ticket":1}' : '{"error":{"code":"SOLD_OUT","message":"sold out"}}');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, seen })));
}

t.test('two front doors share the connections; each request reaches its coupon once', async (t) => {
  const scenario: Scenario = { ...SCENARIOS.s3, requests: 3000, users: 1000, stock: 20, coupons: 5 };
  const couponIds = [11, 12, 13, 14, 15];
  const holders = new Map<string, Set<string>>();
  const doors = [await frontDoor(scenario.stock, holders), await frontDoor(scenario.stock, holders)];
  t.teardown(() => doors.forEach((d) => d.server.close()));

  const load = await runLoad({ urls: doors.map((d) => d.url), couponIds, scenario, concurrency: 10 });
  t.equal(load.responses, 3000);
  t.equal(load.errors, 0);
  t.same(doors.map((d) => d.seen.length), [1500, 1500], 'connections alternate between the doors, 5 each');
  const expected = Array.from({ length: scenario.requests }, (_, i) => `${userIdOf(scenario, i)}>${couponIds[couponIndexOf(scenario, i)]}`).sort();
  t.same([...doors[0]!.seen, ...doors[1]!.seen].sort(), expected, 'every request of the scenario, once, to its coupon');
  t.same(load.acceptedByCoupon, couponIds.map((id) => holders.get(String(id))?.size ?? 0), '202s counted for the coupon that gave them');
  t.equal(load.acceptedByCoupon.reduce((a, b) => a + b, 0), load.statusCounts['202']);
  t.equal(load.statuses.length, 3000);
  t.equal(load.latenciesMs.length, 3000);
  t.equal([...load.statuses].filter((s) => s === 202).length, load.statusCounts['202'], 'each latency carries its status');
  t.equal(load.codeCounts['409 SOLD_OUT'], load.statusCounts['409']);
});

t.test('the coupons given must be the scenario\'s', async (t) => {
  t.throws(() => runLoad({ urls: ['http://127.0.0.1:1'], couponIds: [1], scenario: { ...SCENARIOS.s3, coupons: 2 }, concurrency: 1 }), /the scenario sells 2 coupons, 1 were given/);
});
