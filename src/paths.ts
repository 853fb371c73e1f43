/** Locations inside the installed package, valid from src/ (tsc output in dist/src/). */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The repository (package) root: dist/src/paths.js -> ../../ */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const LUA_DIR = join(PACKAGE_ROOT, 'lua');

/** Files served as they are (the dashboard page). */
export const ASSETS_DIR = join(PACKAGE_ROOT, 'assets');

/** Compiled worker entry points live in dist/workers/. */
export function workerFile(name: string): string {
  return join(PACKAGE_ROOT, 'dist', 'workers', `${name}.js`);
}
