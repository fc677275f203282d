/**
 * Reads V8 .cpuprofile files (from `node --cpu-prof`) and sums self time per
 * function and per source file, so a profile can be read as a short table.
 * Node writes one profile per thread: CPU.<date>.<time>.<pid>.<threadId>.<n>.cpuprofile,
 * thread 0 being the main thread.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  selfMs: number;
}

export interface ThreadProfile {
  file: string;
  threadId: number;
  /** Profiled span of the thread, ms. */
  spanMs: number;
  /** Sampled time excluding (idle) and a worker's wait for its next task, ms. */
  busyMs: number;
  functions: SelfTime[];
  files: SelfTime[];
}

/**
 * A span of time on the machine's monotonic clock, in microseconds (V8's
 * profile timestamps and `process.hrtime` both read CLOCK_MONOTONIC on
 * Linux, so a window taken in one process applies to another's profile).
 */
export interface ProfileWindow {
  fromUs: number;
  toUs: number;
}

/** The monotonic clock in the microseconds V8's profiles use. */
export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** Every profile in `dir`, main thread first; with `window`, only the samples taken within it. */
export async function readProfiles(dir: string, repoRoot: string, window?: ProfileWindow): Promise<ThreadProfile[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.cpuprofile'));
  const out: ThreadProfile[] = [];
  for (const name of names) {
    const profile = JSON.parse(await readFile(join(dir, name), 'utf8')) as CpuProfile;
    out.push(summarise(name, window ? clip(profile, window) : profile, repoRoot));
  }
  return out.sort((a, b) => a.threadId - b.threadId);
}

/** Adds up several threads' self times (e.g. all workers). */
export function merge(list: SelfTime[][]): SelfTime[] {
  const sums = new Map<string, number>();
  for (const l of list) for (const s of l) sums.set(s.name, (sums.get(s.name) ?? 0) + s.selfMs);
  return sorted(sums);
}

/** The samples of `profile` taken within `window`, as a profile of its own. */
function clip(profile: CpuProfile, window: ProfileWindow): CpuProfile {
  const startTime = Math.max(window.fromUs, profile.startTime);
  const endTime = Math.max(startTime, Math.min(window.toUs, profile.endTime));
  const samples: number[] = [];
  const timeDeltas: number[] = [];
  let at = profile.startTime;
  let previous = startTime;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (at < startTime || at > endTime) return;
    samples.push(id);
    timeDeltas.push(at - previous);
    previous = at;
  });
  return { ...profile, samples, timeDeltas, startTime, endTime };
}

function summarise(file: string, profile: CpuProfile, repoRoot: string): ThreadProfile {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const fnTime = new Map<string, number>();
  const fileTime = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const node = byId.get(id);
    if (!node) return;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = shortUrl(url, repoRoot);
    const fn = where ? `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}` : functionName || '(anonymous)';
    fnTime.set(fn, (fnTime.get(fn) ?? 0) + ms);
    fileTime.set(where || functionName, (fileTime.get(where || functionName) ?? 0) + ms);
    if (!WAITING.has(functionName)) busy += ms;
  });
  const threadId = Number(file.split('.').at(-3) ?? 0);
  return { file, threadId: Number.isFinite(threadId) ? threadId : 0, spanMs: (profile.endTime - profile.startTime) / 1000, busyMs: busy, functions: sorted(fnTime), files: sorted(fileTime) };
}

/** Frames that mean "nothing to do": the event loop's idle time, and piscina's worker blocked in Atomics.wait for a task. */
const WAITING = new Set(['(idle)', 'atomicsWaitLoop']);

function shortUrl(url: string, repoRoot: string): string {
  if (!url) return '';
  const path = url.replace(/^file:\/\//, '');
  if (path.startsWith(repoRoot)) return path.slice(repoRoot.length).replace(/^\//, '');
  return path.replace(/^.*\/node_modules\//, 'node_modules/');
}

function sorted(m: Map<string, number>): SelfTime[] {
  return [...m].map(([name, selfMs]) => ({ name, selfMs: Math.round(selfMs * 10) / 10 })).sort((a, b) => b.selfMs - a.selfMs);
}
