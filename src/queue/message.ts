/**
 * The admitted issue request as it travels from the gate to the batch writer (Kafka
 * message value or Redis list item). Compact JSON: it is written tens of thousands of
 * times a second.
 */
import { isCouponId, isUserId } from '../ids.js';

export interface IssueRequest {
  couponId: number;
  userId: string;
  /** Admission order given by the gate (1 = first). */
  ticket: number;
  /** Epoch ms of admission. */
  admittedAt: number;
}

export function encodeIssueRequest(request: IssueRequest): string {
  return JSON.stringify({ c: request.couponId, u: request.userId, t: request.ticket, a: request.admittedAt });
}

export class UndecodableMessage extends Error {
  override readonly name = 'UndecodableMessage';
}

/** Strict decode: anything that is not exactly an issue request is poison (-> DLQ). */
export function decodeIssueRequest(raw: string | Buffer | null | undefined): IssueRequest {
  if (raw === null || raw === undefined) throw new UndecodableMessage('empty message');
  let value: unknown;
  try {
    value = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch {
    throw new UndecodableMessage('message is not JSON');
  }
  if (value === null || typeof value !== 'object') throw new UndecodableMessage('message is not an object');
  const { c, u, t, a } = value as Record<string, unknown>;
  if (!isCouponId(c)) throw new UndecodableMessage('bad couponId');
  if (!isUserId(u)) throw new UndecodableMessage('bad userId');
  if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 1) throw new UndecodableMessage('bad ticket');
  if (typeof a !== 'number' || !Number.isFinite(a)) throw new UndecodableMessage('bad admittedAt');
  return { couponId: c, userId: u, ticket: t, admittedAt: a };
}
