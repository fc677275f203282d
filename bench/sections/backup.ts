/**
 * Section "backup": mmry against restic and borg on the same data, each with
 * fresh repositories, in one run.
 *
 * Steps, tools interleaved within each repetition so drift on the shared
 * machine hits every tool alike:
 *   1. warm-up: a hash walk of the corpus (warms the page cache for every
 *      tool and gives the reference fingerprint for the restore check);
 *   2. initial backup into a fresh repository, INITIAL_RUNS times;
 *   3. unchanged re-backup of the last repository, 3 times;
 *   4. restore of the latest snapshot into an empty folder, 3 times; the
 *      first restore of every tool is compared with the corpus (mmry must be
 *      byte-identical or the bench fails); no restore follows the removal of
 *      another (see the loop for why); then 3 more into a folder in RAM
 *      (tmpfs, /dev/shm), which shows the tools' own restore speed as a
 *      fast SSD would;
 *   5. memory growth: an initial backup of the small corpus, to compare peak
 *      RSS with the full one;
 *   6. releases: ten consecutive releases backed up into one repository.
 * `sync` runs before every timed step, so one step's dirty pages are not
 * written back during the next.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { projectCorpus, releasesCorpus, WORK_DIR } from '../lib/corpus.ts';
import type { Corpus } from '../lib/corpus.ts';
import { compareTrees, hashTree, removeTree, storeBytes, warmPageCache } from '../lib/fstree.ts';
import type { TreePrint } from '../lib/fstree.ts';
import { requireGnuTime, syncDisks, timed } from '../lib/proc.ts';
import type { TimedRun } from '../lib/proc.ts';
import { fmt, fmtRatio, goal, MB, mean, median, ratio } from '../lib/report.ts';
import type { BenchContext, GoalCheck, Section, SectionResult, Table } from '../lib/report.ts';
import { borg, mmry, mmrySource, restic } from '../lib/tools.ts';
import type { BackupTool, ToolName } from '../lib/tools.ts';

const RELEASES_PACKAGE = 'prettier';
const RELEASES = ['3.2.0', '3.2.1', '3.2.2', '3.2.3', '3.2.4', '3.2.5', '3.3.0', '3.3.1', '3.3.2', '3.3.3'];
const REPEATS = 3;
/** A RAM-backed folder for restores that the disk does not limit. */
const RAM_DIR = existsSync('/dev/shm') ? '/dev/shm' : null;

/** The issue's goals, as mmry/restic ratios. */
const GOALS = { initial: 0.5, rebackup: 0.25, restore: 0.6, store: 1.0, rss: 2.0 };
/** mmry's peak RSS on the full corpus may be at most this times that on the small one. */
const RSS_GROWTH_MAX = 1.5;

interface Sample {
  wallSeconds: number;
  cpuSeconds: number;
  maxRssBytes: number;
  /** Cores used by other processes meanwhile. */
  backgroundCores: number;
  /** mmry backups: the engine's own duration from the --json summary (no process start-up or unlock). */
  engineSeconds?: number;
}

interface ToolResult {
  describe: string;
  initial: Sample[];
  rebackup: Sample[];
  restore: Sample[];
  /** Restores into tmpfs (RAM), where the disk is not the bottleneck. */
  restoreRam: Sample[];
  storeBytes: number[];
  /** The last initial backup's repository by part (mmry: packs, parity, other). */
  storeParts: Record<string, number> | null;
  restoreCheck: { contentProblems: number; modeDiffs: number; mtimeDiffs: number; examples: string[] } | null;
  smallInitial: Sample | null;
  releases: { backups: Sample[]; storeBytes: number; storeParts: Record<string, number> | null } | null;
  /** mmry's own --json summaries of the re-backups (files read again). */
  rebackupFilesRead?: number[];
}

export const backupSection: Section = {
  name: 'backup',
  summary: 'initial backup, unchanged re-backup, restore, store size, peak RSS; ten releases (mmry vs restic vs borg)',
  byDefault: true,
  run: runBackupSection,
};

async function runBackupSection(ctx: BenchContext): Promise<SectionResult> {
  requireGnuTime();
  const { log } = ctx;
  const tools: BackupTool[] = [mmry(await mmrySource()), restic(), borg()];
  const initialRuns = ctx.small ? 1 : Number(process.env['MMRY_BENCH_INITIAL_RUNS'] ?? 3);
  const corpus = await projectCorpus(ctx.small ? 'small' : 'full', log);
  const small = ctx.small ? null : await projectCorpus('small', log);
  const releases = await releasesCorpus(RELEASES_PACKAGE, ctx.small ? RELEASES.slice(0, 3) : RELEASES, log);
  log(`corpus ${corpus.name}: ${fmt(corpus.bytes / MB, 1)} MB in ${corpus.files} files, ${corpus.dirs} folders, ${corpus.symlinks} symlinks (${corpus.root})`);
  if (small) log(`corpus ${small.name}: ${fmt(small.bytes / MB, 1)} MB in ${small.files} files (memory-growth check)`);
  log(`corpus ${releases.name}: ${releases.releases.length} releases, ${fmt(releases.bytes / MB, 1)} MB in ${releases.files} files`);

  const runs = join(WORK_DIR, 'runs');
  await removeTree(runs);
  const results = new Map<ToolName, ToolResult>(tools.map((t) => [t.name, { describe: t.describe(), initial: [], rebackup: [], restore: [], restoreRam: [], storeBytes: [], storeParts: null, restoreCheck: null, smallInitial: null, releases: null }]));
  const result = (t: BackupTool) => results.get(t.name)!;
  const repoOf = (t: BackupTool, label: string) => join(runs, t.name, label);

  let started = performance.now();
  const reference = await hashTree(corpus.root);
  if (small) await hashTree(small.root);
  await hashTree(releases.root);
  log(`warm-up: read and hashed every corpus file in ${fmt((performance.now() - started) / 1000)} s`);

  // Tools take turns going first, so no tool always follows another's writes.
  const rotated = (rep: number) => tools.map((_, i) => tools[(i + rep) % tools.length]!);

  log(`initial backup × ${initialRuns} (fresh repository each time)`);
  for (let rep = 0; rep < initialRuns; rep++) {
    for (const tool of rotated(rep)) {
      const repo = repoOf(tool, `project-${rep}`);
      await tool.init(repo);
      await warmPageCache(corpus.root);
      syncDisks();
      const r = await tool.backup(repo, corpus.root, 'project');
      result(tool).initial.push(sample(r, tool));
      result(tool).storeBytes.push(await storeBytes(repo));
      result(tool).storeParts = (await tool.storeParts?.(repo)) ?? null;
      log(`  ${tool.name.padEnd(6)} ${fmt(r.wallSeconds)} s, peak RSS ${fmt(r.maxRssBytes / MB, 0)} MB, store ${fmt(result(tool).storeBytes.at(-1)! / MB, 1)} MB`);
    }
  }
  // The earlier repositories go with the restore folders, after the restores (see there why not now).
  const spareRepos = Array.from({ length: initialRuns - 1 }, (_, rep) => tools.map((t) => repoOf(t, `project-${rep}`))).flat();
  const lastRepo = (t: BackupTool) => repoOf(t, `project-${initialRuns - 1}`);

  log(`unchanged re-backup × ${REPEATS}`);
  for (let rep = 0; rep < REPEATS; rep++) {
    for (const tool of rotated(rep)) {
      syncDisks();
      const r = await tool.backup(lastRepo(tool), corpus.root, 'project');
      result(tool).rebackup.push(sample(r, tool));
      if (tool.name === 'mmry') {
        const summary = JSON.parse(r.stdout) as { filesNew: number; filesChanged: number };
        (result(tool).rebackupFilesRead ??= []).push(summary.filesNew + summary.filesChanged);
      }
      log(`  ${tool.name.padEnd(6)} ${fmt(r.wallSeconds)} s, peak RSS ${fmt(r.maxRssBytes / MB, 0)} MB`);
    }
  }

  log(`restore × ${REPEATS} (the first one of each tool is checked against the corpus)`);
  // Every restore and copy gets a folder of its own, and all of them (with
  // the spare repositories of the initial backups) are removed only after the
  // last one. This disk is ext4 without a journal,
  // where a new inode skips every free one deleted in the last minute or
  // more (the kernel's recently_deleted check, meant for crash safety) and
  // pays a buffer-cache lookup for each: a restore that follows the removal
  // of another tool's 11k-entry restore measured 3 to 10 times slower than
  // one into a quiet disk, for `cp -a` as for every tool. The timing then
  // said more about which tool went after a removal than about the tools.
  const diskTargets = (rep: number) => [...tools.map((t) => join(runs, t.name, `restore-${rep}`)), join(runs, `cp-a-${rep}`)];
  const allDiskTargets = Array.from({ length: REPEATS }, (_, rep) => diskTargets(rep)).flat();
  for (const target of allDiskTargets) await removeTree(target);
  const copyFloor: Sample[] = [];
  for (let rep = 0; rep < REPEATS; rep++) {
    for (const tool of rotated(rep)) {
      const target = join(runs, tool.name, `restore-${rep}`);
      await mkdir(target, { recursive: true });
      syncDisks();
      const { run: r, root } = await tool.restore(lastRepo(tool), target, corpus.root);
      result(tool).restore.push(sample(r));
      log(`  ${tool.name.padEnd(6)} ${fmt(r.wallSeconds)} s, peak RSS ${fmt(r.maxRssBytes / MB, 0)} MB`);
      if (rep === 0) result(tool).restoreCheck = await checkRestore(tool, reference, root, log);
    }
    // The file-system floor for a restore: a plain copy of the corpus.
    syncDisks();
    const r = await timed('cp', ['-a', corpus.root, join(runs, `cp-a-${rep}`)]);
    copyFloor.push(sample(r));
    log(`  cp -a   ${fmt(r.wallSeconds)} s (plain copy of the corpus: the file-system floor)`);
  }
  for (const target of [...allDiskTargets, ...spareRepos]) await removeTree(target);

  const ramRoot = RAM_DIR ? await mkdtemp(join(RAM_DIR, 'mmry-bench-restore-')) : null;
  if (ramRoot) {
    log(`restore into RAM (${ramRoot}) × ${REPEATS}`);
    try {
      for (let rep = 0; rep < REPEATS; rep++) {
        for (const tool of rotated(rep)) {
          const target = join(ramRoot, tool.name);
          await removeTree(target);
          await mkdir(target, { recursive: true });
          syncDisks();
          const { run: r } = await tool.restore(lastRepo(tool), target, corpus.root);
          result(tool).restoreRam.push(sample(r));
          log(`  ${tool.name.padEnd(6)} ${fmt(r.wallSeconds)} s, peak RSS ${fmt(r.maxRssBytes / MB, 0)} MB`);
          await removeTree(target);
        }
      }
    } finally {
      await removeTree(ramRoot);
    }
  } else log('restore into RAM: skipped (no /dev/shm)');

  if (small) {
    log(`memory growth: initial backup of ${small.name}`);
    for (const tool of tools) {
      const repo = repoOf(tool, 'small');
      await tool.init(repo);
      await warmPageCache(small.root);
      syncDisks();
      const r = await tool.backup(repo, small.root, 'small');
      result(tool).smallInitial = sample(r, tool);
      log(`  ${tool.name.padEnd(6)} ${fmt(r.wallSeconds)} s, peak RSS ${fmt(r.maxRssBytes / MB, 0)} MB`);
      await removeTree(repo);
    }
  }
  for (const tool of tools) await removeTree(lastRepo(tool));

  log(`releases: ${releases.releases.length} releases of ${releases.packageName} into one repository per tool`);
  started = performance.now();
  for (const tool of tools) {
    await tool.init(repoOf(tool, 'releases'));
    result(tool).releases = { backups: [], storeBytes: 0, storeParts: null };
  }
  for (const [n, { dir }] of releases.releases.entries()) {
    for (const tool of rotated(n)) {
      await warmPageCache(dir);
      syncDisks();
      result(tool).releases!.backups.push(sample(await tool.backup(repoOf(tool, 'releases'), dir, 'releases'), tool));
    }
  }
  for (const tool of tools) {
    result(tool).releases!.storeBytes = await storeBytes(repoOf(tool, 'releases'));
    result(tool).releases!.storeParts = (await tool.storeParts?.(repoOf(tool, 'releases'))) ?? null;
    const rel = result(tool).releases!;
    log(`  ${tool.name.padEnd(6)} store ${fmt(rel.storeBytes / MB, 2)} MB, mean backup ${fmt(mean(rel.backups.map((b) => b.wallSeconds)))} s`);
    await removeTree(repoOf(tool, 'releases'));
  }
  log(`  (releases took ${fmt((performance.now() - started) / 1000, 1)} s in all)`);

  return summarise(ctx, corpus, small, releases.bytes, releases.releases.length, results, initialRuns, copyFloor);
}

function sample(r: TimedRun, tool?: BackupTool): Sample {
  const s: Sample = { wallSeconds: round(r.wallSeconds, 3), cpuSeconds: round(r.userSeconds + r.sysSeconds, 2), maxRssBytes: r.maxRssBytes, backgroundCores: round(r.backgroundCores, 2) };
  if (tool?.name === 'mmry') {
    const durationMs = (JSON.parse(r.stdout) as { durationMs?: number }).durationMs;
    if (typeof durationMs === 'number') s.engineSeconds = durationMs / 1000;
  }
  return s;
}

async function checkRestore(tool: BackupTool, reference: TreePrint, root: string, log: (l: string) => void): Promise<ToolResult['restoreCheck']> {
  const diff = compareTrees(reference, await hashTree(root));
  const check = { contentProblems: diff.content.length, modeDiffs: diff.metadataCount.mode, mtimeDiffs: diff.metadataCount.mtime, examples: [...diff.content.slice(0, 5), ...diff.metadata.slice(0, 3)] };
  if (diff.content.length === 0) log(`  ${tool.name.padEnd(6)} restore is byte-identical to the corpus (${reference.size} entries); mode diffs ${check.modeDiffs}, file mtime diffs ${check.mtimeDiffs}`);
  else log(`  ${tool.name.padEnd(6)} RESTORE DIFFERS from the corpus: ${diff.content.length} problems, e.g.\n    ${diff.content.slice(0, 10).join('\n    ')}`);
  if (tool.name === 'mmry' && diff.content.length > 0) {
    throw new Error(`mmry's restore is not byte-identical to the corpus (${diff.content.length} problems):\n  ${diff.content.slice(0, 20).join('\n  ')}`);
  }
  return check;
}

function summarise(ctx: BenchContext, corpus: Corpus, small: Corpus | null, releasesBytes: number, releaseCount: number, results: Map<ToolName, ToolResult>, initialRuns: number, copyFloor: Sample[]): SectionResult {
  const get = (name: ToolName) => results.get(name)!;
  const med = (name: ToolName, pick: (r: ToolResult) => number[]) => median(pick(get(name)));
  const wall = (s: Sample[]) => s.map((x) => x.wallSeconds);
  const cpu = (s: Sample[]) => s.map((x) => x.cpuSeconds);
  const rss = (s: Sample[]) => s.map((x) => x.maxRssBytes / MB);

  type Metric = { label: string; pick: (r: ToolResult) => number[]; digits: number; goal?: keyof typeof GOALS };
  const metrics: Metric[] = [
    { label: `initial backup, s (median of ${initialRuns})`, pick: (r) => wall(r.initial), digits: 2, goal: 'initial' },
    { label: `unchanged re-backup, s (median of ${REPEATS})`, pick: (r) => wall(r.rebackup), digits: 2, goal: 'rebackup' },
    { label: `restore, s (median of ${REPEATS})`, pick: (r) => wall(r.restore), digits: 2, goal: 'restore' },
    { label: `restore into RAM (tmpfs), s (median of ${REPEATS})`, pick: (r) => wall(r.restoreRam), digits: 2, goal: 'restore' },
    { label: 'store size, MB (whole repository)', pick: (r) => r.storeBytes.map((b) => b / MB), digits: 1, goal: 'store' },
    { label: 'store size without parity/, MB', pick: (r) => r.storeBytes.map((b) => (b - (r.storeParts?.['parity'] ?? 0)) / MB), digits: 1, goal: 'store' },
    { label: 'peak RSS, initial backup, MB', pick: (r) => rss(r.initial), digits: 0, goal: 'rss' },
    { label: 'peak RSS, re-backup, MB', pick: (r) => rss(r.rebackup), digits: 0 },
    { label: 'peak RSS, restore, MB', pick: (r) => rss(r.restore), digits: 0 },
    { label: 'mmry engine time (no start-up/unlock), initial, s', pick: (r) => r.initial.flatMap((x) => (x.engineSeconds === undefined ? [] : [x.engineSeconds])), digits: 2 },
    { label: 'mmry engine time (no start-up/unlock), re-backup, s', pick: (r) => r.rebackup.flatMap((x) => (x.engineSeconds === undefined ? [] : [x.engineSeconds])), digits: 2 },
    { label: 'CPU (user+sys), initial backup, s', pick: (r) => cpu(r.initial), digits: 2 },
    { label: 'CPU (user+sys), re-backup, s', pick: (r) => cpu(r.rebackup), digits: 2 },
    { label: 'CPU (user+sys), restore, s', pick: (r) => cpu(r.restore), digits: 2 },
    { label: 'CPU (user+sys), restore into RAM, s', pick: (r) => cpu(r.restoreRam), digits: 2 },
    { label: `releases: store after ${releaseCount} backups, MB`, pick: (r) => (r.releases ? [r.releases.storeBytes / MB] : []), digits: 2 },
    { label: `releases: store without parity/, MB`, pick: (r) => (r.releases ? [(r.releases.storeBytes - (r.releases.storeParts?.['parity'] ?? 0)) / MB] : []), digits: 2 },
    { label: 'releases: mean time per backup, s', pick: (r) => (r.releases ? [mean(wall(r.releases.backups))] : []), digits: 2 },
  ];
  const goals: GoalCheck[] = [];
  const rows = metrics.map((m) => {
    const [a, b, c] = (['mmry', 'restic', 'borg'] as const).map((n) => med(n, m.pick));
    const vsRestic = ratio(a, b);
    let goalText = '';
    let status = '';
    if (m.goal) {
      const g = goal(m.label, vsRestic, GOALS[m.goal]);
      goals.push(g);
      goalText = `≤ ${GOALS[m.goal].toFixed(2)}×`;
      status = g.status;
    }
    return [m.label, fmt(a, m.digits), fmt(b, m.digits), fmt(c, m.digits), fmtRatio(vsRestic, m.goal ? 3 : 2), fmtRatio(ratio(a, c)), goalText, status];
  });

  const notes: string[] = [];
  const growthRows: string[][] = [];
  if (small) {
    const dataGrowth = corpus.bytes / small.bytes;
    for (const name of ['mmry', 'restic', 'borg'] as const) {
      const smallRss = get(name).smallInitial?.maxRssBytes ?? Number.NaN;
      const fullRss = med(name, (r) => r.initial.map((x) => x.maxRssBytes));
      const growth = fullRss / smallRss;
      if (name === 'mmry') goals.push(goal(`mmry peak RSS full/small corpus (data ×${dataGrowth.toFixed(1)})`, growth, RSS_GROWTH_MAX));
      growthRows.push([name, fmt(smallRss / MB, 0), fmt(fullRss / MB, 0), fmtRatio(growth), name === 'mmry' ? `≤ ${RSS_GROWTH_MAX.toFixed(2)}×` : '', name === 'mmry' ? goals.at(-1)!.status : '']);
    }
  }

  const tables: Table[] = [
    {
      title: `Backup: ${corpus.name} (${fmt(corpus.bytes / MB, 1)} MB, ${corpus.files} files), releases (${releaseCount} × ${RELEASES_PACKAGE}, ${fmt(releasesBytes / MB, 1)} MB)`,
      header: ['metric', 'mmry', 'restic', 'borg', 'mmry/restic', 'mmry/borg', 'goal', 'result'],
      rows,
      numeric: [1, 2, 3, 4, 5],
    },
  ];
  if (small) {
    tables.push({
      title: `Memory vs bytes backed up: peak RSS of the initial backup, ${small.name} (${fmt(small.bytes / MB, 1)} MB) vs ${corpus.name} (${fmt(corpus.bytes / MB, 1)} MB, ×${(corpus.bytes / small.bytes).toFixed(1)} the data)`,
      header: ['tool', 'small, MB', 'full, MB', 'growth', 'goal', 'result'],
      rows: growthRows,
      numeric: [1, 2, 3],
    });
  }

  for (const [name, r] of results) notes.push(`${name}: ${r.describe}`);
  for (const [name, r] of results) {
    const c = r.restoreCheck;
    if (c) notes.push(`${name} restore check: ${c.contentProblems === 0 ? 'byte-identical content, structure and links' : `${c.contentProblems} content problems (${c.examples.slice(0, 3).join('; ')})`}; permission diffs ${c.modeDiffs}, file mtime diffs ${c.mtimeDiffs}.`);
  }
  for (const [name, r] of results) {
    if (r.storeParts) notes.push(`${name} repository after the initial backup: ${Object.entries(r.storeParts).map(([k, v]) => `${k} ${fmt(v / MB, 1)} MB`).join(', ')}; after the releases: ${Object.entries(r.releases?.storeParts ?? {}).map(([k, v]) => `${k} ${fmt(v / MB, 2)} MB`).join(', ')}.`);
  }
  const background = [...results.values()].flatMap((r) => [...r.initial, ...r.rebackup, ...r.restore, ...r.restoreRam, ...(r.releases?.backups ?? [])].map((x) => x.backgroundCores));
  notes.push(`Contention: other processes used a median ${fmt(median(background))} cores (max ${fmt(Math.max(...background))}) of ${availableParallelism()} during the timed steps (from /proc/stat); CPU time (user+sys) rows are less sensitive to it than wall time.`);
  const floor = median(wall(copyFloor));
  notes.push(`File-system floor: \`cp -a\` of the corpus took a median ${fmt(floor)} s; restore / floor: ${(['mmry', 'restic', 'borg'] as const).map((n) => `${n} ${fmtRatio(med(n, (r) => wall(r.restore)) / floor)}`).join(', ')}.`);
  const read = get('mmry').rebackupFilesRead;
  if (read && read.some((n) => n > 0)) notes.push(`mmry re-read ${read.join(', ')} files on the unchanged re-backups (should be 0).`);
  notes.push('Page cache warm for every tool: a hash walk of each corpus first, and every file read again before each backup, since borg drops from the cache what it reads (the cache cannot be dropped here for all). `sync` before every timed step. Tools interleaved within each repetition.');
  notes.push('Wall time includes each tool\'s start-up and key derivation (mmry: Node start + Argon2id unlock; restic: scrypt; borg: PBKDF2).');
  notes.push('2 cores shared with another engineer running tests: absolute times drift between runs; compare ratios within one run.');
  if (ctx.small) notes.push('MMRY_BENCH_SMALL=1: small corpus, 1 initial run, 3 releases: a quick check, not a result.');

  const data = {
    corpus: { name: corpus.name, bytes: corpus.bytes, files: corpus.files, dirs: corpus.dirs, symlinks: corpus.symlinks },
    smallCorpus: small ? { name: small.name, bytes: small.bytes, files: small.files } : null,
    releases: { package: RELEASES_PACKAGE, versions: releaseCount, bytes: releasesBytes },
    goals: GOALS,
    copyFloor,
    tools: Object.fromEntries(results),
  };
  return { title: 'backup', tables, goals, notes, data };
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
