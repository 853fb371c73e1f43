/** Request counts by route pattern (bounded label set) and status, for GET /metrics. */
import { Counter } from 'prom-client';

export const httpRequests = new Counter({
  name: 'flash_coupon_http_requests_total',
  help: 'HTTP requests answered, by route pattern, method and status',
  labelNames: ['route', 'method', 'status'] as const,
});
