/**
 * Section "profile": where mmry's time goes. Runs the CLI with
 * `node --cpu-prof` for an initial backup, an unchanged re-backup and a
 * restore of the project corpus, then lists the top self-time functions and
 * source files of the main thread and of the worker threads (summed).
 * lib/memwatch.ts rides along to record the main isolate's memory peaks
 * (JS heap, external, ArrayBuffers). The CLI runs from its TypeScript
 * sources here (MMRY_CLI_SOURCES=1), not the bundle the timed runs use, so
 * the tables name our files; its start-up is therefore a little slower than
 * in the backup section. The raw .cpuprofile files stay in
 * bench/.work/profiles/ for DevTools.
 * Not run by default: profiling slows the process a little.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { merge, readProfiles } from '../lib/cpuprofile.ts';
import type { SelfTime, ThreadProfile } from '../lib/cpuprofile.ts';
import { projectCorpus, WORK_DIR } from '../lib/corpus.ts';
import { hashTree, removeTree } from '../lib/fstree.ts';
import { requireGnuTime, syncDisks } from '../lib/proc.ts';
import type { TimedRun } from '../lib/proc.ts';
import { fmt, MB } from '../lib/report.ts';
import type { BenchContext, Section, SectionResult, Table } from '../lib/report.ts';
import { mmry, mmrySource } from '../lib/tools.ts';

const TOP = 12;
const MEMWATCH = fileURLToPath(new URL('../lib/memwatch.ts', import.meta.url));

export const profileSection: Section = {
  name: 'profile',
  summary: "mmry's initial backup, unchanged re-backup and restore under node --cpu-prof: top self-time functions",
  byDefault: false,
  run: runProfileSection,
};

async function runProfileSection(ctx: BenchContext): Promise<SectionResult> {
  requireGnuTime();
  const corpus = await projectCorpus(ctx.small ? 'small' : 'full', ctx.log);
  const profiles = join(WORK_DIR, 'profiles');
  const work = join(WORK_DIR, 'runs', 'profile');
  await removeTree(profiles);
  await removeTree(work);
  await hashTree(corpus.root);
  const tables: Table[] = [];
  const data: Record<string, unknown> = {};
  const notes: string[] = [];
  const phases = ['initial-backup', 'rebackup', 'restore'] as const;
  const source = await mmrySource();
  const repo = join(work, 'vault');
  await mmry(source).init(repo);
  for (const phase of phases) {
    const dir = join(profiles, phase);
    await mkdir(dir, { recursive: true });
    const memFile = join(dir, 'memwatch.json');
    // From the TypeScript sources, not the bundle: the tables then name our files and lines.
    const tool = mmry(source, { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--import', MEMWATCH], env: { MMRY_BENCH_MEMWATCH_OUT: memFile, MMRY_CLI_SOURCES: '1' } });
    syncDisks();
    let r: TimedRun;
    if (phase === 'restore') {
      const target = join(work, 'restore');
      r = (await tool.restore(repo, target, corpus.root)).run;
      await removeTree(target);
    } else r = await tool.backup(repo, corpus.root, 'project');
    const threads = await readProfiles(dir, source.root);
    const mem = (JSON.parse(await readFile(memFile, 'utf8')) as { peak: Record<string, number> }).peak;
    const memLine = `memory peaks (main isolate): rss ${fmt(mem['rss']! / MB, 0)} MB, JS heap ${fmt(mem['heapUsed']! / MB, 0)} MB, external ${fmt(mem['external']! / MB, 0)} MB, ArrayBuffers+SharedArrayBuffers ${fmt(mem['arrayBuffers']! / MB, 0)} MB`;
    const main = threads.filter((t) => t.threadId === 0);
    const workers = threads.filter((t) => t.threadId !== 0);
    const busy = (ts: ThreadProfile[]) => ts.reduce((a, t) => a + t.busyMs, 0) / 1000;
    ctx.log(`${phase}: ${fmt(r.wallSeconds)} s wall, CPU ${fmt(r.userSeconds + r.sysSeconds)} s, peak RSS ${fmt(r.maxRssBytes / MB, 0)} MB; main thread busy ${fmt(busy(main))} s, ${workers.length} worker threads busy ${fmt(busy(workers))} s; ${memLine}`);
    notes.push(`${phase}: ${fmt(r.wallSeconds)} s wall (profiled), CPU ${fmt(r.userSeconds + r.sysSeconds)} s, peak RSS ${fmt(r.maxRssBytes / MB, 0)} MB; main thread busy ${fmt(busy(main))} s of ${fmt((main[0]?.spanMs ?? 0) / 1000)} s; ${workers.length} worker threads busy ${fmt(busy(workers))} s in all (waiting for tasks excluded); ${memLine}.`);
    const mainFns = merge(main.map((t) => t.functions));
    const workerFns = merge(workers.map((t) => t.functions));
    tables.push(topTable(`${phase}: main thread, top self time`, mainFns));
    if (workers.length > 0) tables.push(topTable(`${phase}: worker threads (summed), top self time`, workerFns));
    tables.push(topTable(`${phase}: main thread by source file`, merge(main.map((t) => t.files)), 8));
    data[phase] = {
      wallSeconds: r.wallSeconds,
      cpuSeconds: r.userSeconds + r.sysSeconds,
      maxRssBytes: r.maxRssBytes,
      memoryPeaks: mem,
      mainBusySeconds: busy(main),
      workerBusySeconds: busy(workers),
      mainTop: mainFns.slice(0, TOP),
      workerTop: workerFns.slice(0, TOP),
    };
  }
  await removeTree(work);
  notes.push(`mmry: ${source.label}.`);
  notes.push(`Raw profiles: bench/.work/profiles/<phase>/*.cpuprofile (open in Chrome DevTools → Performance). Corpus ${corpus.name}: ${fmt(corpus.bytes / MB, 1)} MB, ${corpus.files} files.`);
  return { title: 'profile', tables, goals: [], notes, data };
}

function topTable(title: string, list: SelfTime[], n = TOP): Table {
  const total = list.reduce((a, s) => a + s.selfMs, 0);
  return {
    title,
    header: ['self ms', '%', 'function / file'],
    rows: list.slice(0, n).map((s) => [s.selfMs.toFixed(0), ((100 * s.selfMs) / (total || 1)).toFixed(1), s.name]),
    numeric: [0, 1],
  };
}
