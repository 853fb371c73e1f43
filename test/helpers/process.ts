/** Runs the real binary (`flash-coupon serve`) as a child process and waits until it serves. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

export const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

export interface ServiceProcess {
  child: ChildProcess;
  url: string;
  port: number;
  /** Sends the signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function spawnService(env: Record<string, string>, args: string[] = []): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [CLI, 'serve', ...args], {
    // Info level: the start-up line carrying the port is an info line.
    env: { ...process.env, PORT: '0', ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  // The last lines before serving go into the error of a process that exits instead.
  const recent: string[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    lines.on('line', (line) => {
      recent.push(line);
      if (recent.length > 5) recent.shift();
      try {
        const entry = JSON.parse(line) as { msg?: string; port?: number };
        if (entry.msg === 'flash-coupon is serving' && entry.port !== undefined) resolve(entry.port);
      } catch {
        // not a log line
      }
    });
    // 'close', not 'exit': by then every line of its output has been read.
    child.once('close', (code) => reject(new Error(`service exited (${code}) before serving; its last output:\n${recent.join('\n')}`)));
  });
  // Keep draining its output so the child never blocks on a full pipe.
  lines.on('line', () => undefined);
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    port,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill(signal);
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}
