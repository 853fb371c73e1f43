/**
 * Routes mounted on a real uWebSockets.js app: a handler is called inside uWebSockets.js's
 * request callback, so a handler that throws before its first await, or answers without
 * one, must be answered the same as one that rejects or resolves later.
 */
import t from 'tap';
import { AppError } from '../../src/errors.js';
import { json, type Reply } from '../../src/http/respond.js';
import type { Route } from '../../src/http/router.js';
import { startHttpServer } from '../../src/http/server.js';
import { captureLog } from '../helpers/log.js';

const { log, lines } = captureLog();
const routes: Route[] = [
  { method: 'get', pattern: '/sync-reply', handler: () => json(200, { answered: 'at once' }) },
  { method: 'get', pattern: '/async-reply', handler: async () => json(200, { answered: 'later' }) },
  {
    method: 'get',
    pattern: '/sync-refusal',
    handler: (): Reply => {
      throw new AppError('SOLD_OUT', 'all coupons have been issued');
    },
  },
  {
    method: 'get',
    pattern: '/sync-bug',
    handler: (): Reply => {
      throw new Error('a bug');
    },
  },
  {
    method: 'post',
    pattern: '/address',
    needsAddress: true,
    handler: (ctx) => json(200, { remoteAddress: ctx.remoteAddress, forwardedFor: ctx.forwardedFor }),
  },
  { method: 'post', pattern: '/no-address', handler: (ctx) => json(200, { remoteAddress: ctx.remoteAddress, forwardedFor: ctx.forwardedFor }) },
];
const server = await startHttpServer({ host: '127.0.0.1', port: 0, bodyLimitBytes: 1024 }, routes, log);
t.teardown(() => server.stopAccepting());
const url = `http://127.0.0.1:${server.port}`;

const ask = async (path: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> => {
  const response = await fetch(`${url}${path}`, init);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

t.test('a reply given at once and one given later', async (t) => {
  t.same(await ask('/sync-reply'), { status: 200, body: { answered: 'at once' } });
  t.same(await ask('/async-reply'), { status: 200, body: { answered: 'later' } });
});

t.test('thrown before any await: its own code, or a logged 500', async (t) => {
  const refusal = await ask('/sync-refusal');
  t.equal(refusal.status, 409);
  t.match(refusal.body, { error: { code: 'SOLD_OUT' } });
  const bug = await ask('/sync-bug');
  t.equal(bug.status, 500);
  t.match(bug.body, { error: { code: 'INTERNAL' } });
  t.ok(lines.some((line) => line.msg === 'unexpected error while handling a request'), 'the bug is logged');
});

t.test('the peer address is read for a route that needs it, and only then', async (t) => {
  const headers = { 'x-forwarded-for': '203.0.113.7' };
  t.same((await ask('/address', { method: 'POST', headers })).body, { remoteAddress: '127.0.0.1', forwardedFor: '203.0.113.7' });
  t.same((await ask('/no-address', { method: 'POST', headers })).body, { remoteAddress: '', forwardedFor: '' });
});
