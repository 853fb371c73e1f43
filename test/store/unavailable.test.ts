/** The database-away classifier, on errors that a real mysql2 client raised here. */
import t from 'tap';
import mysql from 'mysql2/promise';
import { freePort } from '../../bench/service.js';
import { isUnavailableError } from '../../src/store/unavailable.js';
import { testConfig } from '../helpers/env.js';

async function errorOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

t.test('a refused connection is "unavailable"', async (t) => {
  const port = await freePort();
  const err = await errorOf(() => mysql.createConnection({ host: '127.0.0.1', port, user: 'root' }));
  t.equal((err as { code?: string }).code, 'ECONNREFUSED');
  t.ok(isUnavailableError(err));
});

t.test('a failed statement on a live connection is not', async (t) => {
  const connection = await mysql.createConnection(testConfig().mysql.url);
  t.teardown(() => connection.end());
  const err = await errorOf(() => connection.query('SELECT * FROM no_such_table_here'));
  t.equal((err as { code?: string }).code, 'ER_NO_SUCH_TABLE');
  t.notOk(isUnavailableError(err));
});

t.test('a connection killed by the server is', async (t) => {
  const config = testConfig();
  const victim = await mysql.createConnection(config.mysql.url);
  const killer = await mysql.createConnection(config.mysql.url);
  t.teardown(async () => {
    await killer.end();
    victim.destroy();
  });
  victim.on('error', () => undefined);
  await killer.query(`KILL ${victim.threadId}`);
  const err = await errorOf(() => victim.query('SELECT 1'));
  t.ok(isUnavailableError(err), `error code ${(err as { code?: string }).code}`);
});

t.test('things that are not errors of a connection are not', async (t) => {
  t.notOk(isUnavailableError(new Error('plain')));
  t.notOk(isUnavailableError(undefined));
  t.notOk(isUnavailableError(null));
});
