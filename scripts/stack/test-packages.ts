/**
 * Debian packages the test suite drives beyond the stack's services. `npm test` installs
 * any that is missing before it starts (`npm run stack -- test-packages`, in `pretest`).
 */
export interface DebianPackage {
  name: string;
  /** Present once the package is installed. */
  binary: string;
  neededFor: string;
}

/** playwright-core downloads no browser of its own: the dashboard test drives Debian's. */
export const CHROMIUM: DebianPackage = { name: 'chromium', binary: '/usr/bin/chromium', neededFor: 'the dashboard browser test' };

export const TEST_PACKAGES: readonly DebianPackage[] = [CHROMIUM];
