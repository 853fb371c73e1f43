/**
 * Consumer lag as Prometheus gauges, so an alert can watch it (the dashboard shows the same
 * numbers): the total, Kafka's lag per partition and the Redis queue's list lengths. Read
 * when /metrics is scraped, from the lag probe of every role that consumes or shows the
 * dashboard (registered by app.ts): a reading younger than
 * FRESH_MS is served as is, otherwise one fresh reading is shared by the gauges of the
 * scrape and waited for at most COLLECT_WAIT_MS (then the last reading is served if it is
 * younger than STALE_MS). No sample while the lag cannot be read, so a slow or unreachable
 * Kafka never stalls /metrics and never shows as "no lag".
 */
import { Gauge } from 'prom-client';
import type { LagProbe, LagReading } from './probe.js';

const COLLECT_WAIT_MS = 1000;
const FRESH_MS = 1000;
const STALE_MS = 30_000;

/** The probe of the service running in this process (tests may start several, one after another). */
let source: LagProbe | undefined;
/** The reading being taken for the current scrape, shared by every gauge below. */
let pending: { probe: LagProbe; reading: Promise<LagReading | undefined> } | undefined;

function usable(reading: LagReading): LagReading | undefined {
  return reading.messages !== null && reading.at > 0 && Date.now() - reading.at < STALE_MS ? reading : undefined;
}

function currentReading(): Promise<LagReading | undefined> {
  const probe = source;
  if (probe === undefined) return Promise.resolve(undefined);
  const latest = probe.latest();
  if (latest.messages !== null && Date.now() - latest.at < FRESH_MS) return Promise.resolve(latest);
  if (pending?.probe !== probe) {
    let timer: NodeJS.Timeout | undefined;
    const fallback = new Promise<LagReading>((resolve) => {
      timer = setTimeout(() => resolve(probe.latest()), COLLECT_WAIT_MS);
      timer.unref();
    });
    const taken = { probe, reading: Promise.race([probe.read(), fallback]).then(usable) };
    void taken.reading.finally(() => {
      clearTimeout(timer);
      if (pending === taken) pending = undefined;
    });
    pending = taken;
  }
  return pending.reading;
}

export const consumerLag = new Gauge({
  name: 'flash_coupon_consumer_lag_messages',
  help: 'Admitted requests not yet taken by a batch writer (Kafka: group lag on the request topic; Redis queue: pending + processing)',
  labelNames: ['queue', 'topic', 'group'] as const,
  async collect() {
    this.reset();
    const probe = source;
    const reading = await currentReading();
    if (probe === undefined || reading === undefined || reading.messages === null) return;
    const { queue, topic, group } = probe.source;
    this.set(group === undefined ? { queue, topic } : { queue, topic, group }, reading.messages);
  },
});

export const consumerPartitionLag = new Gauge({
  name: 'flash_coupon_consumer_partition_lag_messages',
  help: 'Kafka: messages of each partition of the request topic not yet committed by the writers group',
  labelNames: ['topic', 'group', 'partition'] as const,
  async collect() {
    this.reset();
    const probe = source;
    const reading = await currentReading();
    if (probe === undefined || reading?.partitions === undefined) return;
    const { topic, group = '' } = probe.source;
    for (const { partition, lag } of reading.partitions) this.set({ topic, group, partition: String(partition) }, lag);
  },
});

export const redisQueueItems = new Gauge({
  name: 'flash_coupon_redis_queue_items',
  help: 'QUEUE=redis: items in the pending list and held in the consumers\' processing lists',
  labelNames: ['topic', 'list'] as const,
  async collect() {
    this.reset();
    const probe = source;
    const reading = await currentReading();
    if (probe === undefined || reading?.lists === undefined) return;
    const { topic } = probe.source;
    this.set({ topic, list: 'pending' }, reading.lists.pending);
    this.set({ topic, list: 'processing' }, reading.lists.processing);
  },
});

export function reportLagFrom(probe: LagProbe | undefined): void {
  source = probe;
}

export function stopReportingLagFrom(probe: LagProbe): void {
  if (source === probe) source = undefined;
}
