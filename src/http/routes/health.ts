/** Liveness, readiness and Prometheus metrics. */
import { register } from 'prom-client';
import { AppError } from '../../errors.js';
import type { Readiness } from '../../health/readiness.js';
import { json } from '../respond.js';
import type { Route } from '../router.js';

export function healthRoutes(readiness: () => Promise<Readiness>): Route[] {
  return [
    { method: 'get', pattern: '/healthz', handler: () => json(200, { status: 'ok' }) },
    {
      method: 'get',
      pattern: '/readyz',
      handler: async () => {
        const result = await readiness();
        if (result.ready) return json(200, { status: 'ready' });
        const names = result.failing.map((failure) => failure.name).join(', ');
        const error = new AppError('UNAVAILABLE', `not ready: ${names} unreachable`);
        return json(503, { status: 'unavailable', failing: result.failing, ...error.toBody() });
      },
    },
    {
      method: 'get',
      pattern: '/metrics',
      handler: async () => ({ status: 200, body: await register.metrics(), contentType: register.contentType }),
    },
  ];
}
