/**
 * Self time per frame from a V8 `.cpuprofile` (what `node --cpu-prof` writes), optionally
 * within a time window, with each frame put in a group: our code, a package, Node, GC, idle.
 *
 * `node dist/bench/profile-cpu.js FILE [FROM_MS TO_MS]` prints the table for a file.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

export interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}

export interface CpuProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
}

export interface CpuProfile {
  readonly nodes: readonly CpuProfileNode[];
  /** Microseconds. */
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  /** Microseconds before each sample. */
  readonly timeDeltas: readonly number[];
}

export interface FrameTime {
  readonly frame: string;
  readonly group: string;
  readonly selfMs: number;
  readonly pct: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly frames: readonly FrameTime[];
  readonly groups: readonly { readonly group: string; readonly selfMs: number; readonly pct: number }[];
}

/** The group a frame's self time counts for. */
export function groupOf(frame: CallFrame): string {
  const { functionName: name, url } = frame;
  if (name === '(garbage collector)') return 'GC';
  if (name === '(idle)') return 'idle';
  if (name === '(program)') return 'program (native, no JS on the stack)';
  if (name === '(root)') return 'root';
  if (/[\\/]node_modules[\\/](ioredis|redis-parser|redis-errors|denque|cluster-key-slot|standard-as-callback)[\\/]/.test(url)) return 'ioredis';
  if (/[\\/]node_modules[\\/]kafkajs[\\/]/.test(url)) return 'kafkajs';
  if (/uWebSockets\.js|uws-js-unofficial/.test(url)) return 'uWebSockets.js';
  const pkg = /[\\/]node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)[\\/]/.exec(url);
  if (pkg !== null) return pkg[1] as string;
  if (/[\\/]dist[\\/](src|workers)[\\/]/.test(url)) return 'ours (dist/src)';
  if (url.startsWith('node:')) return 'node core';
  if (url === '') return 'native / V8 builtin';
  return 'other';
}

function frameLabel(frame: CallFrame, root: string): string {
  const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
  if (frame.url === '') return name;
  const where = frame.url.replace(/^file:\/\//, '').replace(root, '').replace(/^.*[\\/]node_modules[\\/]/, '');
  return `${name} ${where}:${frame.lineNumber + 1}`;
}

/**
 * Self time of every frame (samples on it), summed over nodes with the same function and
 * place, within [fromMs, toMs) of the profile's start when given.
 */
export function summarizeProfile(profile: CpuProfile, window: { fromMs: number; toMs: number } | undefined, root = ''): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<string, { group: string; us: number }>();
  let t = profile.startTime;
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    // A sample stands for the time until the next one.
    const us = profile.timeDeltas[i + 1] ?? 0;
    const at = (t - profile.startTime) / 1000;
    if (window !== undefined && (at < window.fromMs || at >= window.toMs)) continue;
    const node = byId.get(profile.samples[i] as number);
    if (node === undefined) continue;
    const label = frameLabel(node.callFrame, root);
    const entry = selfUs.get(label) ?? { group: groupOf(node.callFrame), us: 0 };
    entry.us += us;
    selfUs.set(label, entry);
    total += us;
  }
  const pct = (us: number): number => (total === 0 ? 0 : (100 * us) / total);
  const frames = [...selfUs.entries()]
    .map(([frame, { group, us }]) => ({ frame, group, selfMs: us / 1000, pct: pct(us) }))
    .sort((a, b) => b.selfMs - a.selfMs);
  const groupUs = new Map<string, number>();
  for (const { group, us } of selfUs.values()) groupUs.set(group, (groupUs.get(group) ?? 0) + us);
  const groups = [...groupUs.entries()].map(([group, us]) => ({ group, selfMs: us / 1000, pct: pct(us) })).sort((a, b) => b.selfMs - a.selfMs);
  return { totalMs: total / 1000, frames, groups };
}

export function summaryTable(summary: ProfileSummary, top = 15): string {
  const lines = [`${summary.totalMs.toFixed(0)} ms sampled`, '', 'self %   self ms  group                                  frame'];
  for (const f of summary.frames.slice(0, top)) {
    lines.push(`${f.pct.toFixed(1).padStart(6)}  ${f.selfMs.toFixed(0).padStart(8)}  ${f.group.padEnd(37)}  ${f.frame}`);
  }
  lines.push('', 'self %   self ms  group');
  for (const g of summary.groups) lines.push(`${g.pct.toFixed(1).padStart(6)}  ${g.selfMs.toFixed(0).padStart(8)}  ${g.group}`);
  return lines.join('\n');
}

export function readProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [file, from, to] = process.argv.slice(2);
  if (file === undefined) {
    process.stderr.write('usage: node dist/bench/profile-cpu.js FILE.cpuprofile [FROM_MS TO_MS]\n');
    process.exit(2);
  }
  const window = from !== undefined && to !== undefined ? { fromMs: Number(from), toMs: Number(to) } : undefined;
  process.stdout.write(`${summaryTable(summarizeProfile(readProfile(file), window, `${process.cwd()}/`), 25)}\n`);
}
