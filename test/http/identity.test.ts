/**
 * USER_AUTH=jwt: the user is the `sub` of a verified Bearer token. Tokens signed with the
 * right key are accepted; a wrong key, an expired token, a malformed or missing one get 401
 * with WWW-Authenticate; a userId naming someone else gets 403 USER_MISMATCH, in the body
 * and in the status and my-coupons paths. RS256 with a PEM key is checked too.
 */
import { generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import t, { type Test } from 'tap';
import { createCoupon, postJson, request, startTestService, type TestService } from '../helpers/service.js';

const SECRET = 'a-test-secret-of-at-least-32-characters!';

function hs256(sub: string, secret = SECRET, expiresIn: string | number = '5m'): Promise<string> {
  return new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuedAt().setExpirationTime(expiresIn).sign(new TextEncoder().encode(secret));
}

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

const svc = await startTestService({ ROLE: 'api', USER_AUTH: 'jwt', JWT_SECRET: SECRET });
t.teardown(() => svc.stop());
const couponId = await createCoupon(svc, { totalQuantity: 10 });
const issueUrl = `${svc.url}/api/coupons/${couponId}/issue`;

async function refused(t: Test, response: Promise<{ status: number; body: Record<string, unknown>; headers: Headers }>, status: number, code: string, what: string): Promise<void> {
  const answer = await response;
  t.equal(answer.status, status, what);
  t.match(answer.body, { error: { code } });
  if (status === 401) t.match(answer.headers.get('www-authenticate') ?? '', /^Bearer /, 'WWW-Authenticate');
}

t.test('a token signed with the right key: the user is its sub, the body may omit userId', async (t) => {
  const token = await hs256('alice');
  const response = await postJson(issueUrl, {}, bearer(token));
  t.equal(response.status, 202);
  t.equal(response.body['userId'], 'alice');
  t.equal((await postJson(issueUrl, { userId: 'alice' }, bearer(token))).status, 409, 'a body naming the same user is fine (409: already has it)');
  const status = await request(`${issueUrl}/alice`, { headers: bearer(token) });
  t.equal(status.status, 200, 'status of the own request');
  t.equal((await request(`${svc.url}/api/users/alice/coupons`, { headers: bearer(token) })).status, 200, 'own coupons');
});

t.test('another user named in the body or the path: 403 USER_MISMATCH, nothing admitted', async (t) => {
  const token = await hs256('bob');
  await refused(t, postJson(issueUrl, { userId: 'mallory' }, bearer(token)), 403, 'USER_MISMATCH', 'body names another user');
  await refused(t, request(`${issueUrl}/alice`, { headers: bearer(token) }), 403, 'USER_MISMATCH', "another user's status");
  await refused(t, request(`${svc.url}/api/users/alice/coupons`, { headers: bearer(token) }), 403, 'USER_MISMATCH', "another user's coupons");
  await refused(t, request(`${issueUrl}/mallory`, { headers: bearer(await hs256('mallory')) }), 404, 'ISSUE_NOT_FOUND', 'mallory was not admitted');
});

t.test('missing, malformed, wrongly signed or expired tokens: 401 with WWW-Authenticate', async (t) => {
  await refused(t, postJson(issueUrl, { userId: 'carol' }), 401, 'UNAUTHORIZED', 'no token');
  await refused(t, postJson(issueUrl, {}, { authorization: 'Bearer not-a-jwt' }), 401, 'UNAUTHORIZED', 'malformed');
  await refused(t, postJson(issueUrl, {}, bearer(await hs256('carol', 'another-secret-of-at-least-32-characters'))), 401, 'UNAUTHORIZED', 'wrong key');
  await refused(t, postJson(issueUrl, {}, bearer(await hs256('carol', SECRET, Math.floor(Date.now() / 1000) - 60))), 401, 'UNAUTHORIZED', 'expired a minute ago');
  await refused(t, postJson(issueUrl, {}, bearer(await hs256('not a valid id'))), 401, 'UNAUTHORIZED', 'a sub that is not a userId');
  await refused(t, request(`${svc.url}/api/users/carol/coupons`), 401, 'UNAUTHORIZED', 'my coupons without a token');
  await refused(t, request(`${issueUrl}/carol`, { headers: { authorization: 'Bearer x.y.z' } }), 401, 'UNAUTHORIZED', 'status with garbage');
  t.equal((await request(`${issueUrl}/carol`, { headers: bearer(await hs256('carol')) })).status, 404, 'carol was never admitted');
});

t.test('RS256 with JWT_PUBLIC_KEY: the right key passes, another key does not', async (t) => {
  const right = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const wrong = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rsa: TestService = await startTestService({ ROLE: 'api', USER_AUTH: 'jwt', JWT_PUBLIC_KEY: right.publicKey.export({ type: 'spki', format: 'pem' }).toString() });
  t.teardown(() => rsa.stop());
  const sign = (key: typeof right.privateKey): Promise<string> => new SignJWT({}).setProtectedHeader({ alg: 'RS256' }).setSubject('dave').setExpirationTime('5m').sign(key);
  const url = `${rsa.url}/api/coupons/${couponId}/issue`;
  t.equal((await postJson(url, {}, bearer(await sign(right.privateKey)))).status, 202, 'signed by the right key');
  await refused(t, postJson(url, {}, bearer(await sign(wrong.privateKey))), 401, 'UNAUTHORIZED', 'signed by another key');
  await refused(t, postJson(url, {}, bearer(await hs256('dave'))), 401, 'UNAUTHORIZED', 'HS256 where RS256 is expected');
});
