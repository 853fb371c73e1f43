/** Runs the real service in the test process, on a free port, against the local stack. */
import type { Config } from '../../src/config/index.js';
import { startService, type RunningService } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { testConfig } from './env.js';

export interface TestService {
  url: string;
  config: Config;
  service: RunningService;
  adminToken: string;
  stop(): Promise<void>;
}

export async function startTestService(env: Record<string, string> = {}): Promise<TestService> {
  const config = testConfig(env);
  const service = await startService(config, createLogger(config.log, { test: true }));
  return {
    url: `http://127.0.0.1:${service.port}`,
    config,
    service,
    adminToken: service.adminToken ?? '',
    stop: () => service.stop(),
  };
}

export interface JsonResponse {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

export async function request(url: string, init: RequestInit = {}): Promise<JsonResponse> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: Record<string, unknown>;
  try {
    body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    body = { raw: text };
  }
  return { status: response.status, body, headers: response.headers };
}

export function postJson(url: string, value: unknown, headers: Record<string, string> = {}): Promise<JsonResponse> {
  return request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(value) });
}

export interface CouponFields {
  totalQuantity: number;
  startsAt?: string;
  expiresAt?: string;
}

/** Creates a coupon through the admin API and returns its id. */
export async function createCoupon(svc: TestService, fields: CouponFields): Promise<number> {
  const response = await postJson(
    `${svc.url}/api/coupons`,
    { name: 'test coupon', discountType: 'PERCENT', discountValue: 10, ...fields },
    { authorization: `Bearer ${svc.adminToken}` },
  );
  if (response.status !== 201) throw new Error(`coupon creation failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body['couponId'] as number;
}

export function issue(svc: TestService, couponId: number, userId: string): Promise<JsonResponse> {
  return postJson(`${svc.url}/api/coupons/${couponId}/issue`, { userId });
}
