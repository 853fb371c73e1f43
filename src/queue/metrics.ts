/** Hand-off latency and producer batch sizes, for GET /metrics. */
import { Histogram } from 'prom-client';

export const handoffSeconds = new Histogram({
  name: 'flash_coupon_handoff_seconds',
  help: 'Time from admission to the queue acknowledging the request (linger included)',
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
});

export const producerBatchSize = new Histogram({
  name: 'flash_coupon_producer_batch_messages',
  help: 'Messages per producer sendBatch',
  buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000],
});
