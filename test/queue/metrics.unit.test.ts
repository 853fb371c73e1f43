/** The hand-off metrics as /metrics merges them over front-door threads (src/threads/metrics.ts). */
import t from 'tap';
import { AggregatorRegistry, register } from 'prom-client';
import { reportCircuit } from '../../src/queue/metrics.js';

t.test('the circuit gauge of a process whose threads all have an open circuit is 1, not the count of threads', async (t) => {
  const stop = reportCircuit(() => true);
  t.teardown(stop);
  const thread = (await register.getMetricsAsJSON()).filter((metric) => metric.name === 'flash_coupon_handoff_circuit_open');
  t.equal(thread.length, 1);
  const merged = AggregatorRegistry.aggregate([thread, thread, thread]).getSingleMetric('flash_coupon_handoff_circuit_open');
  t.ok(merged, 'merged');
  const value = (await merged?.get())?.values[0]?.value;
  t.equal(value, 1);
});

t.test('closed in every thread is 0', async (t) => {
  const thread = (await register.getMetricsAsJSON()).filter((metric) => metric.name === 'flash_coupon_handoff_circuit_open');
  const merged = AggregatorRegistry.aggregate([thread, thread]).getSingleMetric('flash_coupon_handoff_circuit_open');
  t.equal((await merged?.get())?.values[0]?.value, 0);
});
