/**
 * The README is the user's way in: its configuration table is the config module's, and
 * every curl example works as written against a running service.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { configTable } from '../scripts/config-table.js';
import { STACK_VARIABLES } from '../scripts/stack/settings.js';
import { flagOf } from '../src/config/variables.js';
import { PACKAGE_ROOT } from '../src/paths.js';
import { startTestService } from './helpers/service.js';

const run = promisify(execFile);
const readme = readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8');

t.test('the configuration table lists every setting with its real default', async (t) => {
  t.ok(readme.includes(configTable()), 'README table = config module (regenerate with node dist/scripts/config-table.js)');
});

t.test('the stack\'s own settings are in the quick start\'s note, with their flags and defaults', async (t) => {
  const quickStart = (readme.split('## Quick start')[1]?.split('\n## ')[0] ?? '').replace(/\s+/g, ' ');
  t.ok(quickStart.includes(`\`${flagOf('STACK_DIR')}\`, default \`${STACK_VARIABLES.STACK_DIR.default}\``), 'STACK_DIR');
  const cache = STACK_VARIABLES.STACK_CACHE_DIR.default.replace(homedir(), '~');
  t.ok(quickStart.includes(`\`${flagOf('STACK_CACHE_DIR')}\`, default \`${cache}\``), 'STACK_CACHE_DIR');
  for (const name of Object.keys(STACK_VARIABLES)) t.notOk(configTable().includes(name), `${name} is not in the service's table`);
});

t.test('the quick start is two commands', async (t) => {
  const quickStart = readme.split('## Quick start')[1]?.split('\n## ')[0] ?? '';
  const blocks = [...quickStart.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]?.trim());
  t.same(blocks, ['npm install && npm start', 'npm test']);
});

t.test('every curl example answers 2xx with the documented shape', async (t) => {
  const svc = await startTestService({ ROLE: 'all' });
  t.teardown(() => svc.stop());
  const api = readme.split('## API')[1]?.split('\n## ')[0] ?? '';
  const commands = [...api.matchAll(/```sh\n([\s\S]*?)```/g)]
    .flatMap((m) => (m[1] ?? '').replace(/\\\n\s*/g, ' ').split('\n'))
    .map((line) => line.trim())
    .filter((line) => line.startsWith('curl '));
  t.ok(commands.length >= 7, `found ${commands.length} curl examples`);
  let couponId: number | undefined;
  for (const command of commands) {
    let concrete = command.replaceAll('localhost:8080', new URL(svc.url).host);
    if (couponId !== undefined) concrete = concrete.replace(/\/api\/coupons\/1(\/|$|\s)/, `/api/coupons/${couponId}$1`);
    const { stdout } = await run('bash', ['-c', `${concrete} -w '\\n%{http_code}'`], { env: { ...process.env, ADMIN_TOKEN: svc.adminToken } });
    const lines = stdout.trimEnd().split('\n');
    const status = Number(lines.pop());
    t.ok(status >= 200 && status < 300, `${command} -> ${status}`);
    if (command.includes('/metrics')) {
      t.match(lines.join('\n'), /# TYPE /, 'Prometheus text');
      continue;
    }
    const body = JSON.parse(lines.join('\n')) as Record<string, unknown>;
    if (command.includes('-d \'{"name"')) couponId = body['couponId'] as number;
    if (/\/issue\s+-H/.test(command)) t.match(body, { status: 'ACCEPTED', ticket: 1 }, 'the issue example is accepted');
  }
  t.ok(couponId !== undefined, 'the create example returned a couponId');
});
