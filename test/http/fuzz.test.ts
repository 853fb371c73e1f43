/**
 * Property-based bad input at every route: random methods, paths, ids, headers, unicode,
 * sizes and bodies. The process never crashes and every answer matches the contract: a
 * 2xx, or a 4xx whose JSON error code is one of ours with its documented status.
 */
import { connect } from 'node:net';
import fc from 'fast-check';
import t from 'tap';
import { ERRORS, type ErrorCode } from '../../src/errors.js';
import { createCoupon, request, startTestService } from '../helpers/service.js';

const svc = await startTestService({ ROLE: 'api', BODY_LIMIT_BYTES: '4096' });
t.teardown(() => svc.stop());
const couponId = await createCoupon(svc, { totalQuantity: 1_000_000 });

const segment = fc.oneof(
  fc.constantFrom(String(couponId), '0', '-1', '1e3', '999999999999999999999', 'abc', '%', '%E0%A4%A', '..', '', 'queue', 'issue'),
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.stringMatching(/^[A-Za-z0-9_.:@-]{1,70}$/),
);
const path = fc.oneof(
  fc.tuple(segment).map(([id]) => `/api/coupons/${encodeURIComponent(id)}/issue`),
  fc.tuple(segment).map(([id]) => `/api/coupons/${encodeURIComponent(id)}/issue/queue`),
  fc.tuple(segment, segment).map(([id, user]) => `/api/coupons/${encodeURIComponent(id)}/issue/${encodeURIComponent(user)}`),
  fc.tuple(segment).map(([id]) => `/api/coupons/${encodeURIComponent(id)}`),
  fc.tuple(segment).map(([user]) => `/api/users/${encodeURIComponent(user)}/coupons`),
  fc.constantFrom('/api/coupons', '/healthz', '/readyz', '/', '/api', '/api/coupons/'),
  fc.array(segment, { maxLength: 6 }).map((parts) => `/${parts.map(encodeURIComponent).join('/')}`),
);
const body = fc.oneof(
  fc.constant(undefined),
  fc.json({ maxDepth: 3 }),
  fc.record({ userId: fc.oneof(fc.string({ maxLength: 70 }), fc.integer(), fc.constant(null), fc.stringMatching(/^[A-Za-z0-9_.:@-]{1,64}$/)) }).map((v) => JSON.stringify(v)),
  fc.record(
    {
      name: fc.string({ maxLength: 220 }),
      discountType: fc.constantFrom('PERCENT', 'FIXED', 'percent', ''),
      discountValue: fc.oneof(fc.double(), fc.integer({ min: -5, max: 200 })),
      totalQuantity: fc.oneof(fc.integer({ min: -2, max: 20 }), fc.double()),
      startsAt: fc.oneof(fc.string(), fc.date({ noInvalidDate: true }).map((d) => d.toISOString())),
    },
    { requiredKeys: [] },
  ).map((v) => JSON.stringify(v)),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.integer({ min: 4000, max: 20000 }).map((n) => JSON.stringify({ userId: 'x', pad: 'p'.repeat(n) })),
);
const method = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS');
const authorization = fc.oneof(fc.constant(undefined), fc.constant(`Bearer ${svc.adminToken}`), fc.string({ maxLength: 60 }).map((s) => `Bearer ${s}`), fc.string({ maxLength: 40 }));

const SUCCESS = new Set([200, 201, 202]);

t.test('random requests never crash the service and always get a contract answer', async (t) => {
  let checked = 0;
  await fc.assert(
    fc.asyncProperty(method, path, body, authorization, async (verb, target, payload, auth) => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (auth !== undefined) headers['authorization'] = auth;
      const hasBody = payload !== undefined && verb !== 'GET';
      const response = await request(`${svc.url}${target}`, { method: verb, headers, ...(hasBody ? { body: payload } : {}) });
      checked++;
      if (SUCCESS.has(response.status)) return;
      const error = response.body['error'] as { code?: string; message?: string } | undefined;
      if (error?.code === undefined || !(error.code in ERRORS)) throw new Error(`${verb} ${target} -> ${response.status} without a stable code: ${JSON.stringify(response.body).slice(0, 200)}`);
      const expected = ERRORS[error.code as ErrorCode].status;
      if (response.status !== expected) throw new Error(`${verb} ${target} -> ${response.status} but ${error.code} is documented as ${expected}`);
      if (response.status >= 500 && error.code !== 'UNAVAILABLE') throw new Error(`${verb} ${target} -> server error ${error.code}`);
    }),
    { numRuns: 600, interruptAfterTimeLimit: 120_000 },
  );
  t.ok(checked >= 100, `${checked} random requests answered by contract`);
  t.equal((await request(`${svc.url}/healthz`)).status, 200, 'still serving');
});

/**
 * Raw paths, sent byte for byte over a socket (fetch would encode them first): unencoded
 * unicode, stray and malformed percent-escapes, encoded slashes and NULs, dot segments.
 */
const rawChar = fc.oneof(
  fc.constantFrom('%', '%E0%A4%A', '%ZZ', '%0', '%00', '%2F', '%25', '%C3%28', '%FF', '%F0%9F%98', '..', '.', '//', '?', '#', '&', ';', '@', ':', '+', '~', '[', ']', '\\'),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 3 }).filter((g) => [...g].every((c) => c.codePointAt(0)! > 0x20 && c !== '\u007f')),
  fc.stringMatching(/^[A-Za-z0-9_.:@-]{1,8}$/),
);
const rawSegment = fc.array(rawChar, { maxLength: 6 }).map((parts) => parts.join(''));
const rawPath = fc.oneof(
  fc.tuple(rawSegment).map(([id]) => `/api/coupons/${id}/issue`),
  fc.tuple(rawSegment, rawSegment).map(([id, user]) => `/api/coupons/${id}/issue/${user}`),
  fc.tuple(rawSegment).map(([user]) => `/api/users/${user}/coupons`),
  fc.tuple(rawSegment).map(([id]) => `/api/coupons/${id}`),
  fc.array(rawSegment, { maxLength: 5 }).map((parts) => `/${parts.join('/')}`),
);

function rawRequest(verb: string, target: string, payload: string | undefined): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(new URL(svc.url).port), '127.0.0.1');
    const body = payload === undefined ? Buffer.alloc(0) : Buffer.from(payload);
    const head = `${verb} ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
    // Not end(): uWS closes a half-closed connection without answering. It closes after its answer.
    socket.write(Buffer.concat([Buffer.from(head, 'utf8'), body]));
  });
}

t.test('raw, unencoded paths and escapes: a contract answer each, never a 500', async (t) => {
  let checked = 0;
  await fc.assert(
    fc.asyncProperty(fc.constantFrom('GET', 'POST'), rawPath, async (verb, target) => {
      const response = await rawRequest(verb, target, verb === 'POST' ? JSON.stringify({ userId: 'raw-user' }) : undefined);
      checked++;
      if (response.status === 0) throw new Error(`${verb} ${target} -> no HTTP answer`);
      if (SUCCESS.has(response.status)) return;
      const error = (JSON.parse(response.body) as { error?: { code?: string } }).error;
      if (error?.code === undefined || !(error.code in ERRORS)) throw new Error(`${verb} ${target} -> ${response.status} without a stable code: ${response.body.slice(0, 200)}`);
      if (response.status !== ERRORS[error.code as ErrorCode].status) throw new Error(`${verb} ${target} -> ${response.status} but ${error.code} is documented otherwise`);
      if (response.status >= 500 && error.code !== 'UNAVAILABLE') throw new Error(`${verb} ${target} -> server error ${error.code}`);
    }),
    { numRuns: 400, interruptAfterTimeLimit: 90_000 },
  );
  t.ok(checked >= 100, `${checked} raw paths answered by contract`);
  t.equal((await request(`${svc.url}/healthz`)).status, 200, 'still serving');
});
