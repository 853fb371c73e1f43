/** Admin routes: `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time. */
import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors.js';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

export function adminGuard(token: string): (authorization: string) => void {
  const expected = digest(token);
  return (authorization) => {
    const match = /^Bearer (\S+)$/.exec(authorization);
    // Hashing both sides gives equal lengths, so the comparison time says nothing.
    if (match === null || !timingSafeEqual(digest(match[1] as string), expected)) {
      throw new AppError('UNAUTHORIZED', 'admin token missing or wrong');
    }
  };
}
