/**
 * `--jwt-secret S`: the service runs with USER_AUTH=jwt, and every request carries a Bearer
 * token for its user, signed HS256 before the clock starts (as a login service would have
 * issued them), so the run measures what verifying costs the front door.
 */
import { SignJWT } from 'jose';

/** `Bearer <token>` for each user, valid for an hour. */
export async function signTokens(secret: string, userIds: Iterable<string>): Promise<Map<string, string>> {
  const key = new TextEncoder().encode(secret);
  const expires = Math.floor(Date.now() / 1000) + 3600;
  const tokens = new Map<string, string>();
  for (const userId of userIds) {
    if (tokens.has(userId)) continue;
    tokens.set(userId, `Bearer ${await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(userId).setExpirationTime(expires).sign(key)}`);
  }
  return tokens;
}

/** The service flags that make it verify those tokens. */
export function jwtServiceArgs(secret: string): string[] {
  return ['--user-auth', 'jwt', '--jwt-secret', secret];
}
