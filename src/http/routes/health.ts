/**
 * Liveness, readiness and Prometheus metrics. With an operations listener the public port
 * answers readiness bare (ready or not); the detail (which dependency, draining) and the
 * metrics are served to operators only.
 */
import { register } from 'prom-client';
import { scrapeText } from '../scrape.js';
import { AppError } from '../../errors.js';
import type { Readiness } from '../../health/readiness.js';
import type { DrainState } from '../drain.js';
import { json, type Reply } from '../respond.js';
import type { Route } from '../router.js';

const DRAINING = new AppError('UNAVAILABLE', 'not ready: shutting down');
const NOT_READY = new AppError('UNAVAILABLE', 'not ready');

export interface HealthSources {
  readiness: () => Promise<Readiness>;
  drain: DrainState;
}

async function readyz(sources: HealthSources, detailed: boolean): Promise<Reply> {
  if (sources.drain.draining) return json(503, { status: 'draining', ...DRAINING.toBody() });
  const result = await sources.readiness();
  if (result.ready) return json(200, { status: 'ready' });
  if (!detailed) return json(503, { status: 'unavailable', ...NOT_READY.toBody() });
  const names = result.failing.map((failure) => failure.name).join(', ');
  const error = new AppError('UNAVAILABLE', `not ready: ${names} unreachable`);
  return json(503, { status: 'unavailable', failing: result.failing, ...error.toBody() });
}

const healthz: Route = { method: 'get', pattern: '/healthz', handler: () => json(200, { status: 'ok' }), whileDraining: true };

const metrics: Route = {
  method: 'get',
  pattern: '/metrics',
  handler: async () => ({ status: 200, body: await scrapeText(), contentType: register.contentType }),
  whileDraining: true,
};

/** The public port: `detailed` when there is no operations listener to say more. */
export function healthRoutes(sources: HealthSources, detailed: boolean): Route[] {
  const routes: Route[] = [healthz, { method: 'get', pattern: '/readyz', handler: () => readyz(sources, detailed), whileDraining: true }];
  return detailed ? [...routes, metrics] : routes;
}

/** The operations listener's own: detailed readiness and the metrics. */
export function opsHealthRoutes(sources: HealthSources): Route[] {
  return [healthz, { method: 'get', pattern: '/readyz', handler: () => readyz(sources, true), whileDraining: true }, metrics];
}
