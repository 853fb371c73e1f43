/** Exponential backoff shared by the retry loops of the consumers. */
import { setTimeout as sleep } from 'node:timers/promises';

/** Longest wait between tries (unless the base itself is longer). */
const MAX_BACKOFF_MS = 5_000;

/** base, 2 x base, 4 x base ... capped. `round` starts at 1. */
export function backoffMs(baseMs: number, round: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, round - 1), Math.max(MAX_BACKOFF_MS, baseMs));
}

/** Sleeps unless aborted; false when aborted. */
export async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}
