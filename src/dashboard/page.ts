/**
 * The dashboard page: assets/dashboard.html, one self-contained document (inline CSS and JS,
 * nothing fetched from elsewhere), read once at start like the Lua scripts. It opens
 * /dashboard/live and redraws on every snapshot; `?coupon=1,2` shows only those coupons.
 * Every number carries `data-field` so tests can read it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ASSETS_DIR } from '../paths.js';

let page: string | undefined;

export function dashboardHtml(): string {
  page ??= readFileSync(join(ASSETS_DIR, 'dashboard.html'), 'utf8');
  return page;
}
