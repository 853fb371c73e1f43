/**
 * HS256 tokens checked with node:crypto's HMAC, synchronously. jose (WebCrypto) costs 57-87 us
 * of CPU per token seen for the first time, which in a sale where every user asks once is
 * most of what a request costs the front door (S1 with USER_AUTH=jwt ran at about half the
 * requests/s of none: docs/BENCHMARKS.md); an HMAC is a few microseconds. The rules are
 * jose's: only alg HS256, no `crit`, a 32-byte signature compared in constant time, exp and
 * nbf with the leeway, iss and aud when configured. RS256/ES256 and JWKS stay on jose.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type TokenRejection = 'bad signature' | 'token expired' | 'token rejected' | `claim ${string} rejected`;

export class TokenRejected extends Error {
  constructor(readonly reason: TokenRejection) {
    super(reason);
  }
}

export interface ClaimRules {
  leewayS: number;
  issuer?: string | undefined;
  audience?: string | undefined;
}

function jsonPart(part: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new TokenRejected('token rejected');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TokenRejected('token rejected');
  return value as Record<string, unknown>;
}

/** The verified payload of `token`, or TokenRejected saying why not. */
export function hs256Verifier(secret: string, rules: ClaimRules): (token: string) => Record<string, unknown> {
  const key = Buffer.from(secret, 'utf8');
  return (token) => {
    const parts = token.split('.');
    if (parts.length !== 3) throw new TokenRejected('token rejected');
    const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
    const header = jsonPart(headerPart);
    if (header['alg'] !== 'HS256' || header['crit'] !== undefined || header['b64'] !== undefined) throw new TokenRejected('token rejected');
    const expected = createHmac('sha256', key).update(`${headerPart}.${payloadPart}`).digest();
    const given = Buffer.from(signaturePart, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new TokenRejected('bad signature');
    const payload = jsonPart(payloadPart);
    const now = Math.floor(Date.now() / 1000);
    const { exp, nbf, iss, aud } = payload;
    if (exp !== undefined && typeof exp !== 'number') throw new TokenRejected('claim exp rejected');
    if (nbf !== undefined && typeof nbf !== 'number') throw new TokenRejected('claim nbf rejected');
    if (typeof exp === 'number' && exp <= now - rules.leewayS) throw new TokenRejected('token expired');
    if (typeof nbf === 'number' && nbf > now + rules.leewayS) throw new TokenRejected('claim nbf rejected');
    if (rules.issuer !== undefined && iss !== rules.issuer) throw new TokenRejected('claim iss rejected');
    if (rules.audience !== undefined && !(aud === rules.audience || (Array.isArray(aud) && aud.includes(rules.audience)))) throw new TokenRejected('claim aud rejected');
    return payload;
  };
}
