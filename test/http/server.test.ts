/**
 * The uWebSockets.js implementation: the log names the one that loaded, and the service
 * refuses to start on the pure-JS fallback (forced here with the package's own
 * UWS_USE_FALLBACK) unless UWS_ALLOW_FALLBACK says it may.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import t from 'tap';
import { uwsImplementation } from '../../src/http/server.js';
import { uniqueName } from '../helpers/env.js';
import { CLI, spawnService } from '../helpers/process.js';

t.test('this process runs the native addon', async (t) => {
  t.equal(uwsImplementation(), 'native');
});

t.test('on the fallback the service refuses to start, naming the flag', async (t) => {
  const child = spawn(process.execPath, [CLI, 'serve', '--role', 'api'], {
    env: { ...process.env, UWS_USE_FALLBACK: '1', PORT: '0', ADMIN_TOKEN: 'uws-test-token-0123456789', KAFKA_TOPIC: uniqueName('t-uws') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.resume();
  const [code] = (await once(child, 'exit')) as [number | null];
  t.equal(code, 1, 'exit code 1');
  t.match(stderr, /pure-JS fallback.*UWS_ALLOW_FALLBACK/);
});

t.test('with UWS_ALLOW_FALLBACK=true it starts on the fallback', async (t) => {
  // Started only: this fallback build lacks HttpRequest.getCaseSensitiveMethod, so its
  // requests end 500; the flag is for diagnosing a machine, not for serving a sale.
  const proc = await spawnService({ UWS_USE_FALLBACK: '1', UWS_ALLOW_FALLBACK: 'true', ROLE: 'api', ADMIN_TOKEN: 'uws-test-token-0123456789', KAFKA_TOPIC: uniqueName('t-uws') });
  t.teardown(() => proc.stop('SIGKILL'));
  t.ok(proc.port > 0, 'listening');
});
