/**
 * /metrics with front-door threads. Each thread counts in a prom-client registry of its own
 * (a module instance per thread) and the kernel hands a scrape to any thread, so every answer
 * is the sum over the process: the main thread gathers each thread's metrics and merges them
 * with prom-client's AggregatorRegistry (counters and histograms add up, gauges too unless
 * they name another aggregator, as the hand-off circuit's max does); a
 * front-door thread asked for /metrics asks the main thread for that sum. Process-wide
 * metrics (process_*, nodejs_*) are the main thread's alone (src/app.ts).
 */
import type { MessagePort, Worker } from 'node:worker_threads';
import { AggregatorRegistry, register, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import { scrapeFrom } from '../http/scrape.js';
import type { FrontDoorThreadMessage } from './messages.js';

type ThreadMetrics = MetricObjectWithValues<MetricValue<string>>[];

/** A thread that has not answered by then fails the scrape rather than leave its counts out (a counter going back looks like a restart). */
const ANSWER_WAIT_MS = 5_000;

let asked = 0;

/** Posts `request` on `port` and resolves with the reply of the same id. */
function ask(port: MessagePort | Worker, request: FrontDoorThreadMessage & { id: number }, replyType: FrontDoorThreadMessage['type']): Promise<FrontDoorThreadMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      port.off('message', onReply);
      reject(new Error(`no ${replyType} from the ${request.type === 'metrics-text-request' ? 'main thread' : 'front-door thread'} within ${ANSWER_WAIT_MS} ms`));
    }, ANSWER_WAIT_MS);
    const onReply = (reply: FrontDoorThreadMessage): void => {
      if (reply.type !== replyType || !('id' in reply) || reply.id !== request.id) return;
      clearTimeout(timer);
      port.off('message', onReply);
      resolve(reply);
    };
    port.on('message', onReply);
    port.postMessage(request);
  });
}

/** The process's metrics: this (main) thread's and every front-door thread's, merged. */
async function processMetrics(workers: readonly Worker[]): Promise<string> {
  const own = await register.getMetricsAsJSON();
  const replies = await Promise.all(workers.map((worker) => ask(worker, { type: 'metrics-json-request', id: ++asked }, 'metrics-json')));
  const theirs = replies.map((reply) => (reply.type === 'metrics-json' ? (reply.metrics as ThreadMetrics) : []));
  // The main thread's come first, so their aggregator is used; its start time is its own
  // ('omit' drops a value that should be summed across processes, not threads).
  const main = own.map((metric) => (metric.aggregator === 'omit' ? { ...metric, aggregator: 'first' as const } : metric));
  return AggregatorRegistry.aggregate([main, ...theirs]).metrics();
}

/** Main thread: /metrics merges every thread, and a front-door thread's scrape is answered with the same. */
export function serveProcessMetrics(workers: readonly Worker[]): void {
  // A thread that has exited has nothing left to count, and would never answer.
  const live = new Set(workers);
  const gather = (): Promise<string> => processMetrics([...live]);
  scrapeFrom(gather);
  for (const worker of workers) {
    worker.once('exit', () => live.delete(worker));
    worker.on('message', (message: FrontDoorThreadMessage) => {
      if (message.type !== 'metrics-text-request') return;
      gather().then(
        (text) => worker.postMessage({ type: 'metrics-text', id: message.id, text } satisfies FrontDoorThreadMessage),
        (err: unknown) => worker.postMessage({ type: 'metrics-text', id: message.id, error: (err as Error).message } satisfies FrontDoorThreadMessage),
      );
    });
  }
}

/** Front-door thread: gives the main thread its metrics when asked, and serves /metrics from the main thread's sum. */
export function answerMetricsFromMain(port: MessagePort): void {
  port.on('message', (message: FrontDoorThreadMessage) => {
    if (message.type !== 'metrics-json-request') return;
    void register.getMetricsAsJSON().then((metrics) => port.postMessage({ type: 'metrics-json', id: message.id, metrics } satisfies FrontDoorThreadMessage));
  });
  scrapeFrom(async () => {
    const reply = await ask(port, { type: 'metrics-text-request', id: ++asked }, 'metrics-text');
    if (reply.type !== 'metrics-text' || reply.text === undefined) throw new Error(`the main thread could not gather the metrics: ${reply.type === 'metrics-text' ? reply.error : 'no answer'}`);
    return reply.text;
  });
}
