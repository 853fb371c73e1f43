/**
 * The live sale dashboard: GET /dashboard serves the page, a WebSocket at /dashboard/live
 * pushes one JSON snapshot a second. One snapshot is built per interval for every viewer,
 * and only while someone watches. uWS rules: a socket is never touched after its `close`,
 * received messages are capped, and a viewer that cannot keep up is disconnected by uWS
 * (maxBackpressure + closeOnBackpressureLimit) instead of buffering without bound; the page
 * reconnects by itself.
 */
import type { TemplatedApp, WebSocket } from 'uWebSockets.js';
import type { Gate } from '../gate/gate.js';
import type { Route } from '../http/router.js';
import type { LagProbe } from '../lag/probe.js';
import type { Logger } from '../logger.js';
import { dashboardHtml } from './page.js';
import { SnapshotBuilder, type SnapshotSources } from './snapshot.js';

const TOPIC = 'dashboard';
export const LIVE_PATH = '/dashboard/live';
/** Viewers at once; more get 503 on upgrade (each costs a socket and up to MAX_BACKPRESSURE). */
export const MAX_VIEWERS = 64;
/** Viewers from one address: one browser cannot take every slot. */
export const MAX_VIEWERS_PER_ADDRESS = 4;
/** Coupons one viewer may pin (`/dashboard?coupon=1,2`) on top of the recent ones. */
export const MAX_PINNED = 10;
/** Viewers only listen; anything bigger than this from them closes the socket. */
export const MAX_MESSAGE_BYTES = 1024;
/** About 30 snapshots of 20 coupons: a viewer this far behind is cut off. */
const MAX_BACKPRESSURE = 1024 * 1024;

interface Viewer {
  pinned: number[];
  address: string;
}

/**
 * A browser always sends Origin on a WebSocket upgrade: a page from another site may not
 * watch (cross-site WebSocket hijacking). Clients without one (curl, probes) are no browser.
 */
export function sameOrigin(origin: string, host: string): boolean {
  if (origin === '') return true;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

export interface DashboardDeps {
  coupons: SnapshotSources['coupons'];
  rejections: SnapshotSources['rejections'];
  gate: Pick<Gate, 'counts'>;
  queue: 'kafka' | 'redis';
  /** The consumer lag probe (owned by the caller, which also closes it). */
  lag: LagProbe;
  log: Logger;
  intervalMs?: number;
}

/** `?coupons=1,2,3` -> up to MAX_PINNED positive ids; anything else is ignored. */
export function parsePinned(raw: string): number[] {
  const ids = raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => /^[1-9]\d{0,15}$/.test(part))
    .map(Number)
    .filter((id) => Number.isSafeInteger(id));
  return [...new Set(ids)].slice(0, MAX_PINNED);
}

export class Dashboard {
  private readonly builder: SnapshotBuilder;
  private readonly lag: LagProbe;
  private readonly log: Logger;
  private readonly intervalMs: number;
  private readonly viewers = new Set<WebSocket<Viewer>>();
  private readonly pinned = new Map<number, number>();
  private readonly perAddress = new Map<string, number>();
  private app: TemplatedApp | undefined;
  private timer: NodeJS.Timeout | undefined;
  private building = false;
  private failing = false;
  private last: { at: number; json: string } | undefined;
  private stopped = false;

  constructor(deps: DashboardDeps) {
    this.log = deps.log;
    this.intervalMs = deps.intervalMs ?? 1000;
    this.lag = deps.lag;
    this.builder = new SnapshotBuilder({ coupons: deps.coupons, rejections: deps.rejections, gate: deps.gate, queue: deps.queue, lag: () => this.lag.latest() });
  }

  routes(): Route[] {
    return [{ method: 'get', pattern: '/dashboard', handler: () => ({ status: 200, body: dashboardHtml(), contentType: 'text/html; charset=utf-8', headers: { 'Cache-Control': 'no-store' } }) }];
  }

  /** Registers the WebSocket route; called on the uWS app before it listens. */
  register(app: TemplatedApp): void {
    this.app = app;
    app.ws<Viewer>(LIVE_PATH, {
      compression: 0, // uWS.DISABLED: snapshots are small, deflate would cost CPU per viewer
      maxPayloadLength: MAX_MESSAGE_BYTES,
      maxBackpressure: MAX_BACKPRESSURE,
      closeOnBackpressureLimit: 1,
      idleTimeout: 60,
      sendPingsAutomatically: true,
      upgrade: (res, req, context) => {
        // Synchronous: nothing is awaited, so the response cannot be aborted under us.
        if (!sameOrigin(req.getHeader('origin'), req.getHeader('host'))) {
          res.writeStatus('403 Forbidden').end('dashboard: cross-origin viewers are not allowed');
          return;
        }
        const address = Buffer.from(res.getRemoteAddressAsText()).toString();
        if (this.stopped || this.viewers.size >= MAX_VIEWERS || (this.perAddress.get(address) ?? 0) >= MAX_VIEWERS_PER_ADDRESS) {
          res.writeStatus('503 Service Unavailable').end('dashboard: too many viewers');
          return;
        }
        // Counted from the upgrade, so sockets opening at once cannot all pass the check.
        this.perAddress.set(address, (this.perAddress.get(address) ?? 0) + 1);
        const viewer: Viewer = { pinned: parsePinned(req.getQuery('coupons') ?? ''), address };
        res.upgrade(viewer, req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'), req.getHeader('sec-websocket-extensions'), context);
      },
      open: (ws) => this.open(ws),
      message: () => undefined,
      close: (ws) => this.close(ws),
    });
  }

  private open(ws: WebSocket<Viewer>): void {
    this.viewers.add(ws);
    if (this.stopped) {
      ws.end(1001, 'shutting down');
      return;
    }
    for (const id of ws.getUserData().pinned) this.pinned.set(id, (this.pinned.get(id) ?? 0) + 1);
    ws.subscribe(TOPIC);
    // A fresh snapshot right away, so the page is not empty for up to a second.
    if (this.last !== undefined && Date.now() - this.last.at < 2 * this.intervalMs) ws.send(this.last.json);
    if (this.timer === undefined) {
      this.builder.reset();
      this.timer = setInterval(() => this.tick(), this.intervalMs);
    }
    this.tick();
  }

  /** The socket is gone after this: only our own bookkeeping is touched. */
  private close(ws: WebSocket<Viewer>): void {
    if (!this.viewers.delete(ws)) return;
    const { address } = ws.getUserData();
    const fromAddress = (this.perAddress.get(address) ?? 1) - 1;
    if (fromAddress <= 0) this.perAddress.delete(address);
    else this.perAddress.set(address, fromAddress);
    for (const id of ws.getUserData().pinned) {
      const left = (this.pinned.get(id) ?? 1) - 1;
      if (left <= 0) this.pinned.delete(id);
      else this.pinned.set(id, left);
    }
    if (this.viewers.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private tick(): void {
    // One build at a time: a slow MySQL skips ticks rather than piling them up.
    if (this.building || this.stopped || this.viewers.size === 0) return;
    this.building = true;
    this.lag.refresh();
    this.builder
      .build([...this.pinned.keys()])
      .then(
        (snapshot) => {
          this.failing = false;
          this.last = { at: snapshot.at, json: JSON.stringify(snapshot) };
          this.publish(this.last.json);
        },
        (err: unknown) => {
          if (!this.failing) this.log.warn({ err: (err as Error).message }, 'dashboard snapshot failed');
          this.failing = true;
          // The driver's message can name hosts and the database user: viewers get a fixed one.
          this.publish(JSON.stringify({ at: Date.now(), error: 'snapshot failed: a data source is unavailable (details in the service log)' }));
        },
      )
      .finally(() => {
        this.building = false;
      });
  }

  private publish(json: string): void {
    // Viewers may have left while the snapshot was built; publishing to none is a no-op.
    if (this.stopped || this.app === undefined || this.viewers.size === 0) return;
    this.app.publish(TOPIC, json, false, false);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    // end() runs our close handler, which removes the socket: iterate over a copy.
    for (const ws of [...this.viewers]) ws.end(1001, 'shutting down');
    this.viewers.clear();
    this.pinned.clear();
    this.perAddress.clear();
  }
}
