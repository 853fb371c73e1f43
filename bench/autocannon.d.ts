/**
 * The small part of autocannon 8 the benchmark uses (the package ships no types).
 * Field names follow autocannon's README; only what bench/load.ts touches is declared.
 */
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  interface AutocannonRequest {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    /** Called before each request is sent; returns the request to send. */
    setupRequest?: (request: AutocannonRequest, context: Record<string, unknown>) => AutocannonRequest;
    /** Called with each response; `body` is the whole response body as text. */
    onResponse?: (status: number, body: string, context: Record<string, unknown>, headers: Record<string, string>) => void;
  }

  interface AutocannonOptions {
    /** One target, or several: connection i goes to url[i mod url.length]. */
    url: string | string[];
    connections?: number;
    pipelining?: number;
    /** Total requests to send, then stop. */
    amount?: number;
    /** Seconds to run when no `amount` is given (default 10). */
    duration?: number;
    /** Seconds before a request counts as timed out. */
    timeout?: number;
    method?: string;
    headers?: Record<string, string>;
    requests?: AutocannonRequest[];
    /** Called with each connection's client as it is created, in connection order. */
    setupClient?: (client: AutocannonClient) => void;
  }

  interface AutocannonClient {
    /** Replaces the client's request list; autocannon builds every request buffer here, once. */
    setRequests(requests: AutocannonRequest[]): void;
  }

  interface AutocannonResult {
    errors: number;
    timeouts: number;
    non2xx: number;
    resets: number;
    requests: { total: number; sent: number };
  }

  interface AutocannonInstance extends EventEmitter {
    stop(): void;
  }

  function autocannon(options: AutocannonOptions, done: (err: Error | null, result: AutocannonResult) => void): AutocannonInstance;

  export default autocannon;
  export type { AutocannonRequest, AutocannonClient, AutocannonOptions, AutocannonResult, AutocannonInstance };
}
