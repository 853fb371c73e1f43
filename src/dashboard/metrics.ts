/**
 * Consumer lag as a Prometheus gauge, so an alert can watch it (the dashboard shows the same
 * number). Read when /metrics is scraped, from the running dashboard's lag probe, waiting at
 * most COLLECT_WAIT_MS for a fresh reading; no sample while the lag cannot be read.
 */
import { Gauge } from 'prom-client';
import type { LagProbe, LagReading } from './lag.js';

const COLLECT_WAIT_MS = 2000;

/** The probe of the service running in this process (tests may start several, one after another). */
let source: LagProbe | undefined;

export const consumerLag = new Gauge({
  name: 'flash_coupon_consumer_lag_messages',
  help: 'Admitted requests not yet taken by a batch writer (Kafka: group lag on the request topic; Redis queue: pending + processing)',
  async collect() {
    this.reset();
    if (source === undefined) return;
    const probe = source;
    const fallback = new Promise<LagReading>((resolve) => setTimeout(() => resolve(probe.latest()), COLLECT_WAIT_MS).unref());
    const reading = await Promise.race([probe.read(), fallback]);
    if (reading.messages !== null) this.set(reading.messages);
  },
});

export function reportLagFrom(probe: LagProbe | undefined): void {
  source = probe;
}

export function stopReportingLagFrom(probe: LagProbe): void {
  if (source === probe) source = undefined;
}
