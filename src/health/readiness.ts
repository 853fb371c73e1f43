/**
 * Readiness: every dependency this role needs answers. Each check has a short timeout and
 * the verdict is cached briefly, so a flood of /readyz probes never piles onto Redis,
 * MySQL or Kafka.
 */
export interface DependencyCheck {
  name: string;
  check: () => Promise<unknown>;
}

export interface Readiness {
  ready: boolean;
  failing: { name: string; error: string }[];
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
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
          return { name, error: (err as Error).message };
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
