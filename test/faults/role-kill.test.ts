/**
 * The whole process killed with SIGKILL mid-sale and restarted, in each role: nothing
 * accepted is lost, nothing is stored twice, the stock is never exceeded.
 */
import t, { type Test } from 'tap';
import { uniqueName } from '../helpers/env.js';
import { spawnService, type ServiceProcess } from '../helpers/process.js';
import type { TestService } from '../helpers/service.js';
import { testConfig } from '../helpers/env.js';
import { freePort, startSale, verifySale, verifyUnavailableLeftNoTrace, waitFor, waitUntilServing } from './harness.js';

const ADMIN_TOKEN = 'fault-test-token-0123456789';

async function sharedEnv(): Promise<Record<string, string>> {
  const topic = uniqueName('t-fault-kill');
  return { ADMIN_TOKEN, KAFKA_TOPIC: topic, KAFKA_GROUP_ID: `${topic}-group`, WORKER_THREADS: '2' };
}

async function scenario(t: Test, role: 'all' | 'api' | 'consumer'): Promise<void> {
  const env = await sharedEnv();
  const apiPort = String(await freePort());
  const processes: ServiceProcess[] = [];
  t.teardown(async () => {
    for (const proc of processes) await proc.stop('SIGKILL');
  });
  const start = async (processRole: 'all' | 'api' | 'consumer', port: string): Promise<ServiceProcess> => {
    const proc = await spawnService({ ...env, ROLE: processRole, PORT: port });
    processes.push(proc);
    return proc;
  };
  // `all` runs alone; `api` and `consumer` run as a pair, and the one named is killed.
  const front = await start(role === 'all' ? 'all' : 'api', apiPort);
  const back = role === 'all' ? undefined : await start('consumer', '0');
  const svc = { url: front.url, adminToken: ADMIN_TOKEN } as TestService;
  const stock = 3000;
  const sale = await startSale(svc, { users: 9000, stock, rate: 1000, prefix: uniqueName(`kill-${role}`) });

  await waitFor(async () => sale.sent(), (sent) => sent >= 2000, 30000);
  const victim = role === 'consumer' ? back : front;
  await victim?.stop('SIGKILL');
  t.pass(`${role} process killed with SIGKILL after ${sale.sent()} requests`);
  await new Promise((resolve) => setTimeout(resolve, 500));
  if (role === 'consumer') await start('consumer', '0');
  else await start(role, apiPort);
  await waitUntilServing(svc.url);
  await sale.done;

  const summary = await verifySale(t, testConfig(env), sale, stock);
  t.ok(summary.accepted > 0, `sale went on: ${JSON.stringify(summary)}`);
  await verifyUnavailableLeftNoTrace(t, svc, sale);
}

t.test('role all: killed and restarted mid-sale', (t) => scenario(t, 'all'));
t.test('role api: the front door killed and restarted mid-sale', (t) => scenario(t, 'api'));
t.test('role consumer: the writer killed and restarted mid-sale', (t) => scenario(t, 'consumer'));
