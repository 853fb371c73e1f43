/**
 * ensureDebianPackage without touching the machine's packages: a binary that is there is
 * left alone, and a missing one is installed with apt-get only as root, else refused with a
 * message naming what to install. apt-get itself is never run: the runner is injected.
 */
import t from 'tap';
import { debianSystem, ensureDebianPackage, type DebianSystem } from '../../scripts/stack/debian.js';

interface Call {
  command: string;
  args: readonly string[];
  frontend: string | undefined;
}

/** A machine where `present` exists, with the runner recording what it was asked to run. */
function fakeSystem(over: Partial<DebianSystem> & { present?: Set<string> } = {}): { system: Partial<DebianSystem>; calls: Call[] } {
  const calls: Call[] = [];
  const present = over.present ?? new Set<string>();
  return {
    calls,
    system: {
      exists: (path) => present.has(path),
      isRoot: () => true,
      aptGet: () => '/usr/bin/apt-get',
      run: async (command, args, env) => {
        calls.push({ command, args, frontend: env['DEBIAN_FRONTEND'] });
      },
      ...over,
    },
  };
}

const MISSING = '/nonexistent/flash-coupon-test/bin/tool';
const PACKAGE = 'flash-coupon-no-such-package';

t.test('a binary that is there: nothing is run, one line says where it is', async (t) => {
  const lines: string[] = [];
  // The real machine (no injected system): node itself is certainly there.
  const result = await ensureDebianPackage(PACKAGE, process.execPath, { say: (line) => lines.push(line) });
  t.equal(result, 'present');
  t.same(lines, [`${PACKAGE}: ${process.execPath}`]);

  const { system, calls } = fakeSystem({ present: new Set([MISSING]) });
  t.equal(await ensureDebianPackage(PACKAGE, MISSING, { system }), 'present');
  t.same(calls, [], 'apt-get not run');
});

t.test('missing and not root: refused, naming the package to install', async (t) => {
  const { system, calls } = fakeSystem({ isRoot: () => false });
  await t.rejects(ensureDebianPackage(PACKAGE, MISSING, { neededFor: 'the test', system }), {
    message: `${MISSING} is missing (the test needs it) and only root can install it: run \`sudo apt-get install -y ${PACKAGE}\` once, then try again`,
  });
  t.same(calls, [], 'apt-get not run');
});

t.test('missing and no apt-get: refused, naming the package to install', async (t) => {
  const { system, calls } = fakeSystem({ aptGet: () => undefined });
  await t.rejects(ensureDebianPackage(PACKAGE, MISSING, { system }), {
    message: new RegExp(`^${MISSING} is missing and apt-get is not available to install it: install the Debian package ${PACKAGE} `),
  });
  t.same(calls, [], 'nothing run');
});

t.test('missing, as root with apt-get: update, then a quiet non-interactive install', async (t) => {
  const present = new Set<string>();
  const lines: string[] = [];
  const { system, calls } = fakeSystem({ present });
  const run = system.run as DebianSystem['run'];
  system.run = async (command, args, env) => {
    await run(command, args, env);
    if (args[0] === 'install') present.add(MISSING);
  };
  t.equal(await ensureDebianPackage(PACKAGE, MISSING, { system, say: (line) => lines.push(line) }), 'installed');
  t.same(calls, [
    { command: '/usr/bin/apt-get', args: ['update', '-qq'], frontend: 'noninteractive' },
    { command: '/usr/bin/apt-get', args: ['install', '-y', '-qq', PACKAGE], frontend: 'noninteractive' },
  ]);
  t.same(lines, [`${PACKAGE}: ${MISSING} is missing, installing it with apt-get (once)...`], 'one line, before the install');
});

t.test('an install that fails, or leaves the binary missing, fails', async (t) => {
  const failing = fakeSystem({
    run: async (command, args) => {
      throw new Error(`${command} ${args.join(' ')} failed: E: Unable to locate package`);
    },
  });
  await t.rejects(ensureDebianPackage(PACKAGE, MISSING, { system: failing.system }), { message: /apt-get update -qq failed: E: Unable to locate package/ });

  const noBinary = fakeSystem();
  await t.rejects(ensureDebianPackage(PACKAGE, MISSING, { system: noBinary.system }), { message: `apt-get installed ${PACKAGE} but ${MISSING} is still missing` });
  t.equal(noBinary.calls.length, 2);
});

t.test('the real runner: a failing command rejects with its last stderr lines', async (t) => {
  await debianSystem.run(process.execPath, ['-e', ''], process.env);
  await t.rejects(debianSystem.run(process.execPath, ['-e', "process.stderr.write('E: no such package\\n'); process.exit(100)"], process.env), {
    message: /failed:\nE: no such package$/,
  });
});
