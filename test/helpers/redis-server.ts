/**
 * A private redis-server for tests that break Redis (freeze it, kill its clients), on its
 * own port and keeping nothing on disk, so the shared Redis other tests use is untouched.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Redis } from 'ioredis';

export interface PrivateRedis {
  url: string;
  /** SIGSTOP: connections stay open, commands wait unanswered. */
  freeze(): void;
  thaw(): void;
  /** `CLIENT KILL` with the given filter (e.g. ['TYPE', 'normal']); resolves with how many were killed. */
  killClients(filter: string[]): Promise<number>;
  stop(): Promise<void>;
}

export async function startPrivateRedis(port: number): Promise<PrivateRedis> {
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  // Its own admin connection: CLIENT KILL skips the caller, so this one survives its kills.
  const admin = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 100 });
  admin.on('error', () => undefined);
  const deadline = Date.now() + 10000;
  for (;;) {
    try {
      if (admin.status === 'wait') await admin.connect();
      await admin.ping();
      break;
    } catch (err) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`private redis on ${port} did not start: ${(err as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    url,
    freeze: () => void child.kill('SIGSTOP'),
    thaw: () => void child.kill('SIGCONT'),
    killClients: async (filter) => Number(await admin.call('CLIENT', 'KILL', ...filter)),
    async stop() {
      admin.disconnect();
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGCONT');
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
}
