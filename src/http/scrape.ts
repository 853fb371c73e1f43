/**
 * What GET /metrics answers. One front door per process: its prom-client registry. With
 * front-door threads (src/threads/metrics.ts) every answer is the sum over the process's
 * threads, wherever SO_REUSEPORT sent the scrape.
 */
import { register } from 'prom-client';

let source: () => Promise<string> = () => register.metrics();

export function scrapeText(): Promise<string> {
  return source();
}

export function scrapeFrom(next: () => Promise<string>): void {
  source = next;
}
