/**
 * Timed child processes: wall time (measured here, high resolution), peak
 * RSS and CPU time (from GNU time, which reads the child's rusage; Node
 * itself gives no rusage of a child).
 *
 * Every measured command runs as `/usr/bin/time -f ... -o FILE cmd args`, so
 * the numbers are those of the tool's own process (worker threads included;
 * the Node process that runs the bench is not counted).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const GNU_TIME = '/usr/bin/time';

export interface RunOptions {
  cwd?: string;
  /** Added to (and overriding) the bench's own environment. */
  env?: Record<string, string>;
  /** Exit codes that count as success; default [0]. */
  okCodes?: number[];
}

export interface TimedRun {
  command: string;
  exitCode: number;
  wallSeconds: number;
  /** Peak resident set size of the process, bytes. */
  maxRssBytes: number;
  userSeconds: number;
  sysSeconds: number;
  /**
   * CPU used by everything else on the machine while this ran, in cores
   * (from /proc/stat, less this process's own CPU): the contention the
   * measurement suffered on a shared machine.
   */
  backgroundCores: number;
  stdout: string;
  stderr: string;
}

export class CommandError extends Error {
  readonly run: Pick<TimedRun, 'command' | 'exitCode' | 'stdout' | 'stderr'>;
  constructor(run: Pick<TimedRun, 'command' | 'exitCode' | 'stdout' | 'stderr'>) {
    super(`command failed (exit ${run.exitCode}): ${run.command}\n${tail(run.stderr || run.stdout, 2000)}`);
    this.run = run;
  }
}

/** Fails early, with the fix, when GNU time is missing. */
export function requireGnuTime(): void {
  if (existsSync(GNU_TIME)) return;
  throw new Error(`${GNU_TIME} is missing: install it with 'apt-get install -y time' (the bench reads peak RSS through it).`);
}

/** Runs one command under GNU time and returns its measurements; throws CommandError on failure. */
export async function timed(cmd: string, args: string[], options: RunOptions = {}): Promise<TimedRun> {
  const dir = mkdtempSync(join(tmpdir(), 'mmry-bench-time-'));
  const out = join(dir, 'rusage');
  const command = [cmd, ...args].map(quote).join(' ');
  try {
    const busyBefore = machineBusySeconds();
    const started = performance.now();
    const { code, stdout, stderr } = await collect(GNU_TIME, ['-f', '%M %U %S', '-o', out, cmd, ...args], options);
    const wallSeconds = (performance.now() - started) / 1000;
    const busy = machineBusySeconds() - busyBefore;
    const run = { command, exitCode: code, stdout, stderr };
    if (!(options.okCodes ?? [0]).includes(code)) throw new CommandError(run);
    const fields = readFileSync(out, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number);
    const [maxRssKiB, user, sys] = fields;
    if (fields.length !== 3 || fields.some((n) => !Number.isFinite(n))) throw new Error(`unexpected GNU time output for ${command}`);
    const backgroundCores = Math.max(0, (busy - user! - sys!) / wallSeconds);
    return { ...run, wallSeconds, maxRssBytes: maxRssKiB! * 1024, userSeconds: user!, sysSeconds: sys!, backgroundCores };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a command that is not measured (setup, init); throws CommandError on failure. */
export async function run(cmd: string, args: string[], options: RunOptions = {}): Promise<{ stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await collect(cmd, args, options);
  if (!(options.okCodes ?? [0]).includes(code)) throw new CommandError({ command: [cmd, ...args].map(quote).join(' '), exitCode: code, stdout, stderr });
  return { stdout, stderr };
}

/** Flushes dirty pages so one step's writes are not paid for by the next step's timing. */
export function syncDisks(): void {
  spawnSync('sync', [], { stdio: 'ignore' });
}

/** CPU seconds spent by the whole machine so far (all cores, not idle or iowait). */
export function machineBusySeconds(): number {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
    return (user + nice + system + irq + softirq + steal) / 100; // USER_HZ is 100 on Linux
  } catch {
    return Number.NaN;
  }
}

function collect(cmd: string, args: string[], options: RunOptions): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => stdout.push(b));
    child.stderr.on('data', (b: Buffer) => stderr.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve({ code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') });
    });
  });
}

function quote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function tail(text: string, chars: number): string {
  return text.length > chars ? `…${text.slice(-chars)}` : text;
}

/**
 * CPU seconds (user + system) used so far by the processes `roots` and all
 * their live descendants, from /proc/<pid>/stat: the share of the machine's
 * CPU that is ours when our work spans several processes (a server, a
 * browser and its helpers). Exited processes no longer count.
 */
export function processTreeCpuSeconds(roots: number[]): number {
  const parents = new Map<number, number>();
  const cpu = new Map<number, number>();
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return Number.NaN;
  }
  for (const name of pids) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Fields after the command name, which is in parentheses and may hold spaces.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(name), Number(fields[1]));
      cpu.set(Number(name), (Number(fields[11]) + Number(fields[12])) / 100); // utime, stime in USER_HZ
    } catch {
      // the process ended meanwhile
    }
  }
  const wanted = new Set(roots);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parents) {
      if (!wanted.has(pid) && wanted.has(ppid)) {
        wanted.add(pid);
        grew = true;
      }
    }
  }
  let total = 0;
  for (const pid of wanted) total += cpu.get(pid) ?? 0;
  return total;
}

/**
 * Measures the cores used by everything except `ours` (pids whose process
 * trees are ours) between start() and stop().
 */
export function backgroundMeter(ours: () => number[]): { stop(): number } {
  const wallStart = performance.now();
  const busyStart = machineBusySeconds();
  const oursStart = processTreeCpuSeconds(ours());
  return {
    stop() {
      const wall = (performance.now() - wallStart) / 1000;
      const busy = machineBusySeconds() - busyStart;
      const mine = processTreeCpuSeconds(ours()) - oursStart;
      return wall > 0 ? Math.max(0, (busy - mine) / wall) : Number.NaN;
    },
  };
}
