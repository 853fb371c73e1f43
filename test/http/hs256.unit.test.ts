/** The HMAC check of HS256 tokens against tokens jose signs, as a login service would. */
import { createHmac } from 'node:crypto';
import t from 'tap';
import { SignJWT } from 'jose';
import { hs256Verifier, TokenRejected } from '../../src/http/hs256.js';

const SECRET = 'unit-test-secret-0123456789abcdefghij';
const key = new TextEncoder().encode(SECRET);
const now = (): number => Math.floor(Date.now() / 1000);

function sign(claims: Record<string, unknown>, header: Record<string, unknown> = { alg: 'HS256' }, secret: Uint8Array = key): Promise<string> {
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(secret);
}

const reason = (verify: (token: string) => unknown, token: string): string => {
  try {
    verify(token);
    return 'accepted';
  } catch (err) {
    return err instanceof TokenRejected ? err.reason : `threw ${String(err)}`;
  }
};

t.test('a token signed with the secret is accepted with its claims', async (t) => {
  const verify = hs256Verifier(SECRET, { leewayS: 5 });
  const payload = verify(await sign({ sub: 'user-1', exp: now() + 60 }));
  t.match(payload, { sub: 'user-1' });
});

t.test('what jose would refuse is refused, each for its reason', async (t) => {
  const verify = hs256Verifier(SECRET, { leewayS: 5, issuer: 'shop', audience: 'coupons' });
  const good = { sub: 'u', iss: 'shop', aud: 'coupons', exp: now() + 60 };
  t.equal(reason(verify, await sign(good)), 'accepted');
  t.equal(reason(verify, await sign({ ...good, aud: ['other', 'coupons'] })), 'accepted', 'aud may be a list');
  t.equal(reason(verify, await sign(good, { alg: 'HS256' }, new TextEncoder().encode('another-secret-0123456789abcdefghij'))), 'bad signature');
  t.equal(reason(verify, await sign({ ...good, exp: now() - 10 })), 'token expired');
  t.equal(reason(verify, await sign({ ...good, exp: now() - 2 })), 'accepted', 'within the leeway');
  t.equal(reason(verify, await sign({ ...good, nbf: now() + 60 })), 'claim nbf rejected');
  t.equal(reason(verify, await sign({ ...good, iss: 'elsewhere' })), 'claim iss rejected');
  t.equal(reason(verify, await sign({ ...good, aud: 'other' })), 'claim aud rejected');
  t.equal(reason(verify, await sign({ ...good, exp: 'tomorrow' })), 'claim exp rejected');
  t.equal(reason(verify, await sign(good, { alg: 'HS512' })), 'token rejected', 'another algorithm');
  // jose will not sign a header it does not understand: signed here with the same HMAC.
  const critHeader = Buffer.from(JSON.stringify({ alg: 'HS256', crit: ['x'], x: 1 })).toString('base64url');
  const critBody = Buffer.from(JSON.stringify(good)).toString('base64url');
  const critSignature = createHmac('sha256', SECRET).update(`${critHeader}.${critBody}`).digest('base64url');
  t.equal(reason(verify, `${critHeader}.${critBody}.${critSignature}`), 'token rejected', 'a critical header');
  const [header, , signature] = (await sign(good)).split('.');
  const tampered = Buffer.from(JSON.stringify({ ...good, sub: 'someone-else' })).toString('base64url');
  t.equal(reason(verify, `${header}.${tampered}.${signature}`), 'bad signature', 'a payload changed after signing');
  const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(good)).toString('base64url')}.`;
  t.equal(reason(verify, none), 'token rejected', 'alg none');
  t.equal(reason(verify, 'not.a-token'), 'token rejected');
});
