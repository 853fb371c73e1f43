/**
 * Node rotates its trace-event log every million events (node_trace.1.log, .2.log, ...).
 * clinic joins them into its `-traceevent` file, but with more than one file its joiner
 * (@clinic/node-trace-log-join on Node 20) fails with "premature close" and leaves them in
 * the working directory; then clinic writes no report. Here they are joined the plain way:
 * every file is `{"traceEvents":[...]}`, so the result is one such object holding all the
 * events, in the format clinic reads when there is a single file.
 */
import { closeSync, openSync, readFileSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const HEAD = '{"traceEvents":[';

/** node_trace.<n>.log files in rotation order. */
export function traceFiles(names: readonly string[]): string[] {
  const rotation = (name: string): number => Number(/^node_trace\.(\d+)\.log$/.exec(name)?.[1]);
  return names.filter((name) => /^node_trace\.\d+\.log$/.test(name)).sort((a, b) => rotation(a) - rotation(b));
}

/** The events of one file, without the surrounding `{"traceEvents":[` and `]}` (empty when it holds none). */
export function traceEventsBody(file: Buffer): Buffer {
  const start = file.indexOf(HEAD);
  const end = file.lastIndexOf(']}');
  if (start !== 0 || end < HEAD.length) throw new Error('not a trace-event log: expected {"traceEvents":[...]}');
  return file.subarray(HEAD.length, end);
}

/** Joins `dir`'s node_trace.*.log files into `output` and removes them; returns how many were joined. */
export function joinTraceFiles(dir: string, output: string): number {
  const files = traceFiles(readdirSync(dir));
  if (files.length === 0) return 0;
  const fd = openSync(output, 'w');
  try {
    writeSync(fd, HEAD);
    let first = true;
    for (const name of files) {
      const body = traceEventsBody(readFileSync(join(dir, name)));
      if (body.length === 0) continue;
      if (!first) writeSync(fd, ',');
      writeSync(fd, body);
      first = false;
    }
    writeSync(fd, ']}');
  } finally {
    closeSync(fd);
  }
  for (const name of files) rmSync(join(dir, name));
  return files.length;
}
