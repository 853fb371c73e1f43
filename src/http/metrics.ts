/** Requests by route pattern (bounded label set) and status, for GET /metrics. */
import { Counter, Histogram } from 'prom-client';

export const httpRequests = new Counter({
  name: 'flash_coupon_http_requests_total',
  help: 'HTTP requests answered, by route pattern, method and status',
  labelNames: ['route', 'method', 'status'] as const,
});

/**
 * Time inside the process, from the route's handler being called to its reply handed to
 * uWebSockets.js: set against a client's own latency, it says how long a request waited
 * outside the process (the client, the kernel, an event loop busy before it was read).
 */
export const httpRequestSeconds = new Histogram({
  name: 'flash_coupon_http_request_seconds',
  help: 'Time from the handler being called to its reply being handed to the server, by route pattern and status',
  labelNames: ['route', 'status'] as const,
  buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
});
