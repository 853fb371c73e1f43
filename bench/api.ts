/** The two admin-side HTTP calls the benchmark makes besides the load itself. */

export interface CouponCounts {
  readonly totalQuantity: number;
  readonly admitted: number;
  readonly issued: number;
  readonly remaining: number;
}

async function json(response: Response, what: string): Promise<Record<string, unknown>> {
  const text = await response.text();
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error(`${what}: HTTP ${response.status}, not JSON: ${text.slice(0, 200)}`);
  }
}

export async function createCoupon(url: string, adminToken: string, name: string, stock: number): Promise<number> {
  const response = await fetch(`${url}/api/coupons`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
    body: JSON.stringify({ name, discountType: 'PERCENT', discountValue: 10, totalQuantity: stock }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = await json(response, 'creating the coupon');
  const couponId = Number(body['couponId']);
  if (response.status !== 201 || !Number.isSafeInteger(couponId) || couponId < 1) {
    throw new Error(`creating the coupon: expected 201 with a couponId, got HTTP ${response.status} ${JSON.stringify(body).slice(0, 300)}`);
  }
  return couponId;
}

/** The scenario's coupons, one after another (creation is not what is measured). */
export async function createCoupons(url: string, adminToken: string, name: string, stock: number, count: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < count; i++) ids.push(await createCoupon(url, adminToken, count === 1 ? name : `${name} #${i + 1}`, stock));
  return ids;
}

/** The service's own view of the coupon; undefined when it cannot be read. */
export async function couponCounts(url: string, couponId: number): Promise<CouponCounts | undefined> {
  try {
    const response = await fetch(`${url}/api/coupons/${couponId}`, { signal: AbortSignal.timeout(10_000) });
    if (response.status !== 200) return undefined;
    const body = await json(response, 'reading the coupon');
    const [totalQuantity, admitted, issued, remaining] = ['totalQuantity', 'admitted', 'issued', 'remaining'].map((key) => Number(body[key]));
    return { totalQuantity: totalQuantity as number, admitted: admitted as number, issued: issued as number, remaining: remaining as number };
  } catch {
    return undefined;
  }
}
