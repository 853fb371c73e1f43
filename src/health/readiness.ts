/**
 * Readiness: every dependency this role needs answers. Each check has a short timeout and
 * the verdict is cached briefly, so a flood of /readyz probes never piles onto Redis,
 * MySQL or Kafka. A failure is reported as a fixed word, never the driver's message, which
 * can carry hosts, ports and the database user.
 */
import { errorCode } from '../store/unavailable.js';

class CheckTimeout extends Error {}

/** What a failed check says about itself, from a closed list. */
export type FailureKind = 'timeout' | 'unreachable' | 'refused' | 'error';

const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'PROTOCOL_CONNECTION_LOST']);

function kindOf(err: unknown): FailureKind {
  if (err instanceof CheckTimeout) return 'timeout';
  const code = errorCode(err);
  if (code !== undefined && UNREACHABLE.has(code)) return 'unreachable';
  if (code !== undefined && code.startsWith('ER_')) return 'refused';
  return 'error';
}
export interface DependencyCheck {
  name: string;
  check: () => Promise<unknown>;
}

export interface Readiness {
  ready: boolean;
  failing: { name: string; error: FailureKind }[];
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new CheckTimeout(`no answer within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

export function readinessProbe(checks: DependencyCheck[], timeoutMs = 1500, cacheMs = 250): () => Promise<Readiness> {
  let cached: { at: number; result: Promise<Readiness> } | undefined;
  const evaluate = async (): Promise<Readiness> => {
    const outcomes = await Promise.all(
      checks.map(async ({ name, check }) => {
        try {
          await withTimeout(check(), timeoutMs);
          return undefined;
        } catch (err) {
          return { name, error: kindOf(err) };
        }
      }),
    );
    const failing = outcomes.filter((outcome) => outcome !== undefined);
    return { ready: failing.length === 0, failing };
  };
  return () => {
    const now = Date.now();
    if (cached === undefined || now - cached.at > cacheMs) cached = { at: now, result: evaluate() };
    return cached.result;
  };
}
