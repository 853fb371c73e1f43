/**
 * Who is asking. USER_AUTH=none: the userId the request names (body or path), as before.
 * USER_AUTH=jwt: the `sub` of a verified `Authorization: Bearer <JWT>` (HS256 with a secret:
 * hs256.ts; RS256/ES256 with a PEM key or a JWKS endpoint: jose); a userId the request names must be
 * that user. A verified token is remembered until it expires, so a client repeating its
 * token is not verified again (bounded, oldest dropped first).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { Config } from '../config/index.js';
import { AppError } from '../errors.js';
import { isUserId } from '../ids.js';
import { hs256Verifier, TokenRejected } from './hs256.js';
import { parseUserId } from './validate.js';

/** The user a request acts for; `named` is the userId it names (body or path), if any. */
export type Identify = (authorization: string, named: unknown) => string | Promise<string>;

/** Clocks of issuer and service may differ by this much for exp and nbf. */
const LEEWAY_S = 5;
const CACHE_MAX = 50_000;
/** A token without exp is verified again after this long. */
const CACHE_TTL_MS = 60_000;

const CHALLENGE = 'Bearer realm="flash-coupon"';

function unauthorized(description: string): AppError {
  return new AppError('UNAUTHORIZED', `a valid Bearer token is required: ${description}`, {
    headers: { 'WWW-Authenticate': `${CHALLENGE}, error="invalid_token", error_description="${description}"` },
  });
}

const MISSING = new AppError('UNAUTHORIZED', 'a Bearer token is required', { headers: { 'WWW-Authenticate': CHALLENGE } });
const MISMATCH = new AppError('USER_MISMATCH', "the userId is not the token's user");
const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/;

export function identityFrom(auth: Config['auth']): Identify {
  if (auth.mode === 'none') return (_authorization, named) => parseUserId(named);
  const verify = tokenVerifier(auth);
  const cache = new Map<string, { sub: string; until: number }>();
  const userOf = async (token: string): Promise<string> => {
    const hit = cache.get(token);
    if (hit !== undefined && hit.until > Date.now()) return hit.sub;
    const { sub, exp } = await verify(token);
    if (cache.size >= CACHE_MAX) {
      // Maps iterate in insertion order: drop the oldest tenth.
      let drop = CACHE_MAX / 10;
      for (const key of cache.keys()) {
        cache.delete(key);
        if (--drop <= 0) break;
      }
    }
    cache.set(token, { sub, until: Math.min(exp === undefined ? Infinity : (exp + LEEWAY_S) * 1000, Date.now() + CACHE_TTL_MS) });
    return sub;
  };
  return async (authorization, named) => {
    if (authorization === '') throw MISSING;
    const match = BEARER.exec(authorization);
    if (match === null) throw unauthorized('malformed token');
    const sub = await userOf(match[1] as string);
    if (named !== undefined && named !== sub) {
      parseUserId(named);
      throw MISMATCH;
    }
    return sub;
  };
}

/** RS256/ES256 keys for jose (HS256 is hs256.ts). */
function keyOf(auth: Config['auth']): { key: KeyObject | JWTVerifyGetKey; algorithms: string[] } {
  if (auth.publicKey !== undefined) {
    const key = createPublicKey(auth.publicKey);
    return { key, algorithms: key.asymmetricKeyType === 'ec' ? ['ES256'] : ['RS256'] };
  }
  if (auth.jwksUrl !== undefined) {
    // jose caches the set, refetches on an unknown kid (at most every 30 s) and after 10 minutes.
    return { key: createRemoteJWKSet(new URL(auth.jwksUrl), { timeoutDuration: 2000 }), algorithms: ['RS256', 'ES256'] };
  }
  throw new AppError('CONFIG_INVALID', 'USER_AUTH=jwt without a key');
}

function tokenVerifier(auth: Config['auth']): (token: string) => Promise<{ sub: string; exp: number | undefined }> {
  if (auth.secret !== undefined) {
    const verify = hs256Verifier(auth.secret, { leewayS: LEEWAY_S, issuer: auth.issuer, audience: auth.audience });
    return async (token) => {
      let payload;
      try {
        payload = verify(token);
      } catch (err) {
        if (err instanceof TokenRejected) throw unauthorized(err.reason);
        throw err;
      }
      if (!isUserId(payload['sub'])) throw unauthorized('sub is not a valid userId');
      return { sub: payload['sub'], exp: typeof payload['exp'] === 'number' ? payload['exp'] : undefined };
    };
  }
  const { key, algorithms } = keyOf(auth);
  const options = {
    algorithms,
    clockTolerance: LEEWAY_S,
    ...(auth.issuer === undefined ? {} : { issuer: auth.issuer }),
    ...(auth.audience === undefined ? {} : { audience: auth.audience }),
  };
  return async (token) => {
    let payload;
    try {
      // One call per key kind: TypeScript picks jwtVerify's overload from the key's type.
      payload = typeof key === 'function' ? (await jwtVerify(token, key, options)).payload : (await jwtVerify(token, key, options)).payload;
    } catch (err) {
      throw tokenError(err);
    }
    if (!isUserId(payload.sub)) throw unauthorized('sub is not a valid userId');
    return { sub: payload.sub, exp: payload.exp };
  };
}

/** A bad token is the client's (401); a key set that cannot be fetched is ours (503). */
function tokenError(err: unknown): AppError {
  if (err instanceof joseErrors.JWTExpired) return unauthorized('token expired');
  if (err instanceof joseErrors.JWKSTimeout || !(err instanceof joseErrors.JOSEError)) {
    return new AppError('UNAVAILABLE', 'the token could not be checked now, please retry', { cause: err });
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return unauthorized('bad signature');
  if (err instanceof joseErrors.JWTClaimValidationFailed) return unauthorized(`claim ${err.claim} rejected`);
  return unauthorized('token rejected');
}
