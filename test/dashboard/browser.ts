/**
 * Headless Debian Chromium driven by playwright-core (which downloads no browser of its
 * own). Each launch gets a fresh temporary profile from playwright; the flags keep
 * Chromium from reaching the network on its own (no internet here).
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM as PACKAGE } from '../../scripts/stack/test-packages.js';

export const CHROMIUM = PACKAGE.binary;

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: \`npm test\` installs it before the suite (\`npm run stack -- test-packages\`, as root), or run \`apt-get install -y ${PACKAGE.name}\``);
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 60000 });
}
