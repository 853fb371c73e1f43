/**
 * Bad input at the front door: each gets its 4xx with a stable code, changes nothing, and
 * the process keeps serving.
 */
import t from 'tap';
import { request, startTestService, createCoupon, postJson } from '../helpers/service.js';

const svc = await startTestService({ ROLE: 'api', BODY_LIMIT_BYTES: '1024' });
t.teardown(() => svc.stop());
const couponId = await createCoupon(svc, { totalQuantity: 5 });
const issuePath = `${svc.url}/api/coupons/${couponId}/issue`;

interface Case {
  name: string;
  method: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
  status: number;
  code: string;
}

const admin = { authorization: `Bearer ${svc.adminToken}`, 'content-type': 'application/json' };
const cases: Case[] = [
  { name: 'malformed JSON', method: 'POST', path: issuePath, body: '{"userId": ', status: 400, code: 'INVALID_JSON' },
  { name: 'JSON that is not an object', method: 'POST', path: issuePath, body: '["u1"]', status: 400, code: 'INVALID_JSON' },
  { name: 'empty body', method: 'POST', path: issuePath, body: '', status: 400, code: 'INVALID_JSON' },
  { name: 'missing userId', method: 'POST', path: issuePath, body: '{}', status: 400, code: 'INVALID_USER_ID' },
  { name: 'userId of the wrong type', method: 'POST', path: issuePath, body: '{"userId": 42}', status: 400, code: 'INVALID_USER_ID' },
  { name: 'userId too long', method: 'POST', path: issuePath, body: JSON.stringify({ userId: 'u'.repeat(65) }), status: 400, code: 'INVALID_USER_ID' },
  { name: 'userId with a forbidden character', method: 'POST', path: issuePath, body: '{"userId": "a b"}', status: 400, code: 'INVALID_USER_ID' },
  { name: 'userId with unicode', method: 'POST', path: issuePath, body: '{"userId": "ünï"}', status: 400, code: 'INVALID_USER_ID' },
  { name: 'oversized body', method: 'POST', path: issuePath, body: JSON.stringify({ userId: 'u1', pad: 'x'.repeat(5000) }), status: 413, code: 'PAYLOAD_TOO_LARGE' },
  { name: 'non-numeric coupon id', method: 'POST', path: `${svc.url}/api/coupons/abc/issue`, body: '{"userId":"u1"}', status: 400, code: 'INVALID_COUPON_ID' },
  { name: 'unknown coupon', method: 'POST', path: `${svc.url}/api/coupons/999999999999/issue`, body: '{"userId":"u1"}', status: 404, code: 'COUPON_NOT_FOUND' },
  { name: 'unknown route', method: 'GET', path: `${svc.url}/nope`, status: 404, code: 'NOT_FOUND' },
  { name: 'unknown api route', method: 'POST', path: `${svc.url}/api/coupons/${couponId}/refund`, body: '{}', status: 404, code: 'NOT_FOUND' },
  { name: 'wrong method on issue', method: 'GET', path: issuePath, status: 405, code: 'METHOD_NOT_ALLOWED' },
  { name: 'wrong method on coupons', method: 'DELETE', path: `${svc.url}/api/coupons/${couponId}`, status: 405, code: 'METHOD_NOT_ALLOWED' },
  { name: 'coupon creation without token', method: 'POST', path: `${svc.url}/api/coupons`, body: '{}', status: 401, code: 'UNAUTHORIZED' },
  { name: 'coupon creation with a wrong token', method: 'POST', path: `${svc.url}/api/coupons`, body: '{}', headers: { authorization: 'Bearer wrong-token-wrong-token' }, status: 401, code: 'UNAUTHORIZED' },
  { name: 'coupon with bad fields', method: 'POST', path: `${svc.url}/api/coupons`, body: JSON.stringify({ name: '', discountType: 'HALF', discountValue: -1, totalQuantity: 1.5, extra: true }), headers: admin, status: 400, code: 'VALIDATION_FAILED' },
  { name: 'coupon with a bad date', method: 'POST', path: `${svc.url}/api/coupons`, body: JSON.stringify({ name: 'x', discountType: 'FIXED', discountValue: 5, totalQuantity: 1, startsAt: 'tomorrow' }), headers: admin, status: 400, code: 'VALIDATION_FAILED' },
  { name: 'status with a bad userId', method: 'GET', path: `${svc.url}/api/coupons/${couponId}/issue/bad%20id`, status: 400, code: 'INVALID_USER_ID' },
  { name: 'user coupons with a bad userId', method: 'GET', path: `${svc.url}/api/users/${'x'.repeat(80)}/coupons`, status: 400, code: 'INVALID_USER_ID' },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const response = await request(c.path, { method: c.method, headers: { 'content-type': 'application/json', ...c.headers }, ...(c.body === undefined ? {} : { body: c.body }) });
    t.equal(response.status, c.status, 'status');
    t.match(response.body, { error: { code: c.code, message: String } }, 'error body with a stable code');
    t.notMatch(JSON.stringify(response.body), /at .+\.js:\d+/, 'no stack trace');
    const health = await request(`${svc.url}/healthz`);
    t.equal(health.status, 200, 'still serving');
  });
}

t.test('field errors name every bad field', async (t) => {
  const response = await postJson(`${svc.url}/api/coupons`, { name: '', discountType: 'HALF', discountValue: -1, totalQuantity: 0, extra: 1 }, admin);
  const fields = (response.body['error'] as { fields: { field: string }[] }).fields.map((f) => f.field).sort();
  t.same(fields, ['discountType', 'discountValue', 'extra', 'name', 'totalQuantity']);
});

t.test('bad input changed nothing: the coupon still has its whole stock', async (t) => {
  const response = await request(`${svc.url}/api/coupons/${couponId}`);
  t.equal(response.status, 200);
  t.match(response.body, { couponId, totalQuantity: 5, admitted: 0, remaining: 5 });
});
