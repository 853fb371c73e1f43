/** Reading wrk's summary: what the bare-loop comparison's ratios are computed from. */
import t from 'tap';
import { parseWrk, wrkDurationMs } from '../../../bench/bare/wrk.js';

// Printed by wrk 4.1.0 here against the bare gate loop (stock 5, so nearly every answer a 409).
const REFUSALS = `Running 1s test @ http://127.0.0.1:8183
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   229.56us  299.86us   3.75ms   93.67%
    Req/Sec    22.24k     8.39k   28.76k    72.73%
  Latency Distribution
     50%  138.00us
     75%  179.00us
     90%  391.00us
     99%    1.81ms
  24310 requests in 1.10s, 3.48MB read
  Non-2xx or 3xx responses: 24305
Requests/sec:  22097.95
Transfer/sec:      3.16MB
`;

t.test('a refusals run: counts, rate, percentiles in ms', async (t) => {
  const result = parseWrk(REFUSALS);
  t.same(result, { requests: 24310, requestsPerSec: 22097.95, non2xx: 24305, socketErrors: 0, p50Ms: 0.138, p99Ms: 1.81 });
});

t.test('an all-2xx run has no Non-2xx line; socket errors are summed', async (t) => {
  const output = REFUSALS.replace(/ {2}Non-2xx.*\n/, '').replace('Requests/sec', '  Socket errors: connect 0, read 2, write 1, timeout 4\nRequests/sec').replace('1.81ms', '1.20s');
  const result = parseWrk(output);
  t.equal(result.non2xx, 0);
  t.equal(result.socketErrors, 7);
  t.equal(result.p99Ms, 1200);
});

t.test('output without a summary is an error that shows it', async (t) => {
  t.throws(() => parseWrk('unable to connect to 127.0.0.1:1 Connection refused\n'), /wrk printed no request count:\nunable to connect/);
  t.throws(() => parseWrk(REFUSALS.replace(/ +50%.*\n/, '')), /no median/);
});

t.test('durations in every unit wrk prints', async (t) => {
  t.equal(wrkDurationMs('850.00us'), 0.85);
  t.equal(wrkDurationMs('4.12ms'), 4.12);
  t.equal(wrkDurationMs('1.50s'), 1500);
  t.equal(wrkDurationMs('2.00m'), 120_000);
  t.throws(() => wrkDurationMs('12'), /not a wrk duration/);
});
