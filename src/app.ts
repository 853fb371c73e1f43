/**
 * Composes the service for its role: `api` (front door, gate, producer), `consumer`
 * (batch writers) or `all`. Start-up waits briefly for each dependency. Shutdown (the
 * drain) turns readiness 503 and refuses new requests at once, waits for the requests being
 * handled, flushes the producer, finishes in-flight batches, closes the other clients and
 * Redis last (compensations need it), all within SHUTDOWN_TIMEOUT_MS.
 */
import { randomBytes } from 'node:crypto';
import { isMainThread } from 'node:worker_threads';
import { collectDefaultMetrics, register } from 'prom-client';
import type { TemplatedApp } from 'uWebSockets.js';
import type { Config } from './config/index.js';
import { Dashboard } from './dashboard/live.js';
import { Admission } from './gate/admission.js';
import { startGate } from './gate/start.js';
import { readinessProbe, type DependencyCheck } from './health/readiness.js';
import { adminGuard } from './http/auth.js';
import { CouponCeiling } from './http/coupon-ceiling.js';
import { DrainState } from './http/drain.js';
import { identityFrom } from './http/identity.js';
import { rateLimitsFrom } from './http/rate-limit.js';
import { couponRoutes } from './http/routes/coupons.js';
import { healthRoutes, opsHealthRoutes } from './http/routes/health.js';
import { issueRoutes, type IssueReader } from './http/routes/issue.js';
import type { Route } from './http/router.js';
import { checkUwsImplementation, startHttpServer, type HttpServer } from './http/server.js';
import { reportLagFrom, stopReportingLagFrom } from './lag/metrics.js';
import type { LagProbe } from './lag/probe.js';
import type { Logger } from './logger.js';
import { createKafka, ensureTopics } from './queue/kafka/client.js';
import { KafkaIssueQueue } from './queue/kafka/producer.js';
import { createLagProbe } from './queue/lag.js';
import type { IssueQueue } from './queue/queue.js';
import { alreadyQueued } from './queue/redis-list/handoff.js';
import { createRedis, type RedisClient } from './redis/client.js';
import { findCoupon, highestCouponId } from './store/coupons.js';
import { countRejections, loadDashboardCoupons } from './store/dashboard.js';
import { findIssue, listUserCoupons } from './store/issues.js';
import { migrate } from './store/migrations.js';
import { createPool, ensureDatabase, type Pool } from './store/mysql.js';

export interface RunningService {
  readonly port: number;
  /** The operations listener's port, when OPS_PORT is set. */
  readonly opsPort: number | undefined;
  readonly adminToken: string | undefined;
  /** Drains and closes everything; gives up waiting on each step at `deadlineMs` from now. */
  stop(deadlineMs?: number): Promise<void>;
  /** What the drain is doing now and what it still waits for, for the log when it runs out of time. */
  progress(): Record<string, unknown>;
}

interface Closer {
  name: string;
  /** `deadline`: the Date.now() past which it should give up what it still waits for. */
  close: (deadline: number) => Promise<unknown>;
}

const STARTUP_WAIT_MS = 30000;

async function waitForDependency(name: string, attempt: () => Promise<unknown>, log: Logger): Promise<void> {
  const deadline = Date.now() + STARTUP_WAIT_MS;
  for (let tries = 1; ; tries++) {
    try {
      await attempt();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${name} unreachable: ${(err as Error).message}`);
      if (tries === 1) log.warn({ dependency: name, err: (err as Error).message }, 'waiting for dependency');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

function issueReader(pool: Pool): IssueReader {
  return {
    findIssue: (couponId, userId) => findIssue(pool, couponId, userId),
    listUserCoupons: (userId) => listUserCoupons(pool, userId),
    couponExists: async (couponId) => (await findCoupon(pool, couponId)) !== undefined,
  };
}

export async function startService(config: Config, log: Logger): Promise<RunningService> {
  // Process, heap, GC and event-loop delay metrics; once per process (tests start several
  // services), from the main thread only: front-door threads' /metrics adds theirs to it.
  if (isMainThread && register.getSingleMetric('process_cpu_user_seconds_total') === undefined) collectDefaultMetrics();
  checkUwsImplementation(config.http.allowUwsFallback, log.child({ module: 'http' }));
  const closers: Closer[] = [];
  // Closed after everything else: the gate's background compensations and the Redis-list
  // consumers use them until the end.
  const redisClosers: Closer[] = [];
  const drain = new DrainState();
  const checks: DependencyCheck[] = [];
  const routes: Route[] = [];
  /** Served by the operations listener when OPS_PORT is set, else on the public port. */
  const opsRoutes: Route[] = [];
  let adminToken: string | undefined;
  let registerWebSockets: ((app: TemplatedApp) => void) | undefined;
  let lagProbe: LagProbe | undefined;
  /**
   * One probe per process, shared by the dashboard and the gauges; closed with the service.
   * QUEUE=redis reads the lists on `redis`.
   */
  const startLagProbe = (redis: RedisClient | undefined): LagProbe => {
    if (lagProbe === undefined) {
      const probe = createLagProbe(config, redis, log.child({ module: 'lag' }));
      reportLagFrom(probe);
      closers.push({
        name: 'lag',
        close: () => {
          stopReportingLagFrom(probe);
          return probe.close();
        },
      });
      lagProbe = probe;
    }
    return lagProbe;
  };
  /** A fail-fast Redis client, connected (start-up waits for Redis) and closed with the service. */
  const connectRedis = async (name: string): Promise<RedisClient> => {
    const redis = createRedis(config.redis, log.child({ module: 'redis' }), name);
    await waitForDependency('redis', () => (redis.status === 'wait' ? redis.connect() : redis.ping()), log);
    redisClosers.push({ name: `redis-${name}`, close: () => redis.quit() });
    return redis;
  };
  try {
    await waitForDependency('mysql', () => ensureDatabase(config.mysql), log);
    const pool = createPool(config.mysql);
    closers.push({ name: 'mysql', close: () => pool.end() });
    await migrate(pool);
    checks.push({ name: 'mysql', check: () => pool.query('SELECT 1') });

    if (config.queue === 'kafka') {
      const admin = createKafka(config.kafka, log, '-admin').admin({ retry: { retries: 0 } });
      await waitForDependency('kafka', () => admin.connect(), log);
      closers.push({ name: 'kafka-admin', close: () => admin.disconnect() });
      const topics = await ensureTopics(admin, config.kafka);
      if (topics.replicationFactor === 1) {
        log.warn({ topic: config.kafka.topic, replicationFactor: 1 }, 'the request topic has one replica: a broker that loses its disk loses requests already answered 202 (run 3 brokers, see docs/SCALING.md)');
      } else if (topics.replicationFactor < topics.wanted) {
        log.warn({ topic: config.kafka.topic, replicationFactor: topics.replicationFactor, wanted: topics.wanted }, 'the request topic predates the replication factor wanted and keeps its own');
      }
      checks.push({ name: 'kafka', check: () => admin.listTopics() });
    }

    let queue: IssueQueue | undefined;
    if (config.role !== 'consumer') {
      const redis = await connectRedis('gate');
      const running = await startGate(config, redis, pool, log);
      closers.push({ name: 'gate', close: () => running.stop() });
      const gate = running.gate;
      checks.push({ name: 'redis', check: () => gate.load() });
      queue =
        config.queue === 'kafka'
          ? await KafkaIssueQueue.connect(createKafka(config.kafka, log, '-producer'), config.kafka, config.handoff, log.child({ module: 'producer' }))
          : alreadyQueued;
      adminToken = config.adminToken;
      if (adminToken === undefined) {
        // Never in production (config refuses to start): this token differs per process.
        adminToken = randomBytes(24).toString('base64url');
        log.warn({ adminToken }, 'ADMIN_TOKEN is not set: generated one for this run');
      }
      const admission = new Admission(gate, queue);
      const ceiling = new CouponCeiling(() => highestCouponId(pool));
      await ceiling.load();
      routes.push(
        ...couponRoutes({ pool, gate, ceiling, checkAdmin: adminGuard(adminToken) }),
        ...issueRoutes({ admission, gate, reader: issueReader(pool), ceiling, identify: identityFrom(config.auth), limits: rateLimitsFrom(config.rateLimit, config.http.trustProxy) }),
      );
      // The live dashboard reads the same pool and gate, once a second while watched.
      const dashboard = new Dashboard({
        coupons: (pinned, recent) => loadDashboardCoupons(pool, pinned, recent),
        rejections: (ids) => countRejections(pool, ids),
        gate,
        queue: config.queue,
        lag: startLagProbe(redis),
        log: log.child({ module: 'dashboard' }),
      });
      closers.push({ name: 'dashboard', close: async () => dashboard.stop() });
      opsRoutes.push(...dashboard.routes());
      registerWebSockets = (app) => dashboard.register(app);
    }

    if (config.role !== 'api') {
      // The lag gauges that alerts watch are exported by every role that consumes.
      if (lagProbe === undefined) startLagProbe(config.queue === 'redis' ? await connectRedis('lag') : undefined);
      // Loaded only in roles that write, so an api process never starts worker threads.
      const { startConsumers } = await import('./queue/consumers.js');
      const consumers = await startConsumers(config, log);
      closers.push({ name: 'consumers', close: () => consumers.stop() });
    }
    if (queue !== undefined) {
      const openQueue = queue;
      // Closed first (closers run in reverse): every request already answered 202 is in
      // the queue before anything else shuts.
      closers.push({ name: 'producer', close: (deadline) => openQueue.close(Math.max(0, deadline - Date.now())) });
    }

    const health = { readiness: readinessProbe(checks), drain };
    const httpLog = log.child({ module: 'http' });
    let ops: HttpServer | undefined;
    if (config.ops !== undefined) {
      ops = await startHttpServer({ ...config.ops, bodyLimitBytes: config.http.bodyLimitBytes }, [...opsHealthRoutes(health), ...opsRoutes], httpLog, {
        ...(registerWebSockets === undefined ? {} : { setup: registerWebSockets }),
      });
      const opsServer = ops;
      closers.unshift({ name: 'ops-listener', close: async () => opsServer.stopAccepting() });
    }
    const publicRoutes = ops === undefined ? [...healthRoutes(health, true), ...routes, ...opsRoutes] : [...healthRoutes(health, false), ...routes];
    const server = await startHttpServer(config.http, publicRoutes, httpLog, {
      drain,
      ...(ops === undefined && registerWebSockets !== undefined ? { setup: registerWebSockets } : {}),
    });
    log.info({ port: server.port, opsPort: ops?.port, queue: config.queue }, 'flash-coupon is serving');
    let step = 'serving';
    return {
      port: server.port,
      opsPort: ops?.port,
      adminToken,
      progress: () => ({ step, requestsInFlight: drain.pending }),
      async stop(deadlineMs = config.shutdownTimeoutMs) {
        const deadline = Date.now() + deadlineMs;
        drain.start();
        server.stopAccepting();
        step = 'answering requests in flight';
        if (!(await drain.idle(deadline - Date.now()))) log.error({ requestsInFlight: drain.pending }, 'drain deadline: requests in flight left unanswered (the reconciler settles their admissions)');
        await closeAll([...redisClosers.reverse(), ...closers], deadline, log, (name) => {
          step = `closing ${name}`;
        });
        step = 'stopped';
      },
    };
  } catch (err) {
    await closeAll([...redisClosers.reverse(), ...closers], Date.now(), log);
    throw err;
  }
}

/** Closes in reverse order of `closers` (the last opened first). */
async function closeAll(closers: Closer[], deadline: number, log: Logger, onStep?: (name: string) => void): Promise<void> {
  for (const { name, close } of closers.reverse()) {
    onStep?.(name);
    const started = Date.now();
    try {
      await close(deadline);
    } catch (err) {
      log.warn({ part: name, err: (err as Error).message }, 'error while closing');
    }
    // A part that holds the drain up is named, so a deadline can be sized from the log.
    if (Date.now() - started > 1000) log.warn({ part: name, ms: Date.now() - started }, 'slow to close');
  }
}
