/**
 * Section "heal": what self-healing costs and how it compares, in one run.
 *
 *   1. parity cost on the initial backup: mmry with its default redundancy
 *      against `--redundancy 0`, fresh vaults, same corpus, interleaved;
 *   2. parity encode throughput: the engine's ParityProtector over the
 *      packs of that vault, in its worker pool (lib/parity-encode.ts);
 *   3. reading all data back: `mmry verify --read-data` against
 *      `restic check --read-data` and `borg check --verify-data` on the same
 *      corpus (and each tool's structural check, for context);
 *   4. par2: a ~100 MB file set of real corpus files, 10% redundancy.
 *      `par2 create` against the engine's parity over the same bytes; then
 *      200 seeded byte flips (mmry: in its pack files; par2: in the files),
 *      detect and repair with each tool, and check both came back
 *      bit-perfect (mmry: restore and compare with the originals).
 * Every timed command runs under GNU time with the background CPU recorded
 * (lib/proc.ts); `sync` before each; tools take turns going first.
 */
import { copyFile, mkdir, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { existsSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectCorpus, WORK_DIR } from '../lib/corpus.ts';
import type { Corpus } from '../lib/corpus.ts';
import { merge, readProfiles } from '../lib/cpuprofile.ts';
import type { SelfTime } from '../lib/cpuprofile.ts';
import { flipBytes, seededRandom } from '../lib/damage.ts';
import { compareTrees, hashTree, removeTree, storeBytes, walk, warmPageCache } from '../lib/fstree.ts';
import type { TreePrint } from '../lib/fstree.ts';
import { requireGnuTime, run, syncDisks, timed } from '../lib/proc.ts';
import type { TimedRun } from '../lib/proc.ts';
import { fmt, fmtRatio, goal, MB, median, ratio } from '../lib/report.ts';
import type { BenchContext, GoalCheck, Section, SectionResult, Table } from '../lib/report.ts';
import { borg, mmry, mmrySource, restic } from '../lib/tools.ts';
import type { BackupTool, MmryTool } from '../lib/tools.ts';

/** The issue's goals. */
const GOALS = {
  /** Initial backup with parity at most this much slower than without. */
  parityCost: 0.15,
  /** mmry verify --read-data time / restic check --read-data time. */
  verify: 0.5,
  /** mmry parity time / par2 create time over the same bytes (≥ 10× the throughput). */
  create: 0.1,
  /** mmry repair time / par2 repair time, 200 flipped bytes. */
  repair: 0.2,
};
const FLIPS = 200;
/** The small file set (~11 MB) has ~2000 par2 blocks too: 200 flips would exceed par2's 200 recovery blocks. */
const SMALL_FLIPS = 40;
const SEED = 0x4d4d5259;
const PAR2_REDUNDANCY = 10;
const PAR2_INDEX = 'recovery.par2';
/**
 * par2cmdline runs OpenMP threads that spin while they wait; on a machine
 * shared with other work that spinning takes the cores par2 needs (create:
 * 24 s spinning vs 10 s passive under the same load, 4.6 s unloaded), so
 * par2 is measured with passive waiting, which is closer to its unloaded
 * speed and stricter for mmry.
 */
const PAR2_ENV = { OMP_WAIT_POLICY: 'PASSIVE' };
/** The same size the pack writer aims at (packs/writer.ts), for the pseudo-packs of the par2 file set. */
const PACK_BYTES = 16 * 1024 * 1024;
const PARITY_ENCODE = fileURLToPath(new URL('../lib/parity-encode.ts', import.meta.url));

interface Sample {
  wallSeconds: number;
  cpuSeconds: number;
  maxRssBytes: number;
  backgroundCores: number;
  exitCode: number;
  /** mmry backups: the engine's own duration (no start-up or unlock). */
  engineSeconds?: number;
}

interface ProfileTop {
  step: string;
  wallSeconds: number;
  /** Main thread: sampled time not idle, and the whole profiled span, ms. */
  mainBusyMs: number;
  mainSpanMs: number;
  workerThreads: number;
  /** Worker threads, summed, not waiting for a task, ms. */
  workersBusyMs: number;
  /** Top self time, idle and waiting frames left out. */
  main: SelfTime[];
  workers: SelfTime[];
}

export const healSection: Section = {
  name: 'heal',
  summary: 'parity cost and encode speed, verify --read-data vs restic/borg checks, par2 create and repair of 200 flipped bytes',
  byDefault: true,
  run: runHealSection,
};

async function runHealSection(ctx: BenchContext): Promise<SectionResult> {
  requireGnuTime();
  if (!existsSync('/usr/bin/par2')) throw new Error("par2 is missing: install it with 'apt-get install -y par2'.");
  const { log } = ctx;
  const repeats = ctx.small ? 1 : 3;
  const source = await mmrySource();
  const withParity = mmry(source);
  const noParity = mmry(source, { initArgs: ['--redundancy', '0'] });
  const corpus = await projectCorpus(ctx.small ? 'small' : 'full', log);
  const work = join(WORK_DIR, 'runs', 'heal');
  await removeTree(work);
  await mkdir(work, { recursive: true });
  log(`corpus ${corpus.name}: ${fmt(corpus.bytes / MB, 1)} MB in ${corpus.files} files (${corpus.root})`);
  const started = performance.now();
  await hashTree(corpus.root);
  log(`warm-up: read and hashed every corpus file in ${fmt((performance.now() - started) / 1000)} s`);

  // Five pairs: the difference sought (~10%) is the size of the noise on a shared machine.
  const cost = await parityCost(ctx, corpus, withParity, noParity, work, ctx.small ? 1 : 5);
  const vault = cost.keptVault;
  const encode = await parityEncode(ctx, source.root, join(vault, 'packs'), join(work, 'encode-corpus'), repeats);
  const checks = await checkAllData(ctx, corpus, withParity, vault, work, repeats);
  const par2 = await par2Comparison(ctx, corpus, source, withParity, work, repeats);

  const profiles: ProfileTop[] = [];
  if (ratio(checks.medians.mmry, checks.medians.restic)! > GOALS.verify) profiles.push(await profileStep(ctx, source, 'verify --read-data', (t) => t.check(vault, true), work));
  if (ratio(par2.medians.mmryRepair, par2.medians.par2Repair)! > GOALS.repair) {
    profiles.push(
      await profileStep(ctx, source, `repair (${par2.flips} flipped bytes)`, async (t) => {
        await prepareDamagedVault(par2.vault, join(work, 'vault-profile'), SEED, par2.flips);
        return t.repair(join(work, 'vault-profile'));
      }, work),
    );
  }
  await removeTree(work);
  return summarise(ctx, corpus, source.label, cost, encode, checks, par2, profiles, repeats);
}

// ---- 1. parity cost on the initial backup ----

interface CostResult {
  withParity: Sample[];
  noParity: Sample[];
  storeWith: Record<string, number> | null;
  storeWithout: Record<string, number> | null;
  /** The last default-redundancy vault, kept for the encode and verify steps. */
  keptVault: string;
  describe: { withParity: string; noParity: string };
}

async function parityCost(ctx: BenchContext, corpus: Corpus, withParity: MmryTool, noParity: MmryTool, work: string, repeats: number): Promise<CostResult> {
  ctx.log(`parity cost: initial backup × ${repeats}, default redundancy vs --redundancy 0 (fresh vault each time)`);
  const result: CostResult = { withParity: [], noParity: [], storeWith: null, storeWithout: null, keptVault: '', describe: { withParity: withParity.describe(), noParity: noParity.describe() } };
  for (let rep = 0; rep < repeats; rep++) {
    const order = rep % 2 === 0 ? (['with', 'without'] as const) : (['without', 'with'] as const);
    for (const mode of order) {
      const tool = mode === 'with' ? withParity : noParity;
      const repo = join(work, `vault-${mode}-${rep}`);
      await tool.init(repo);
      await warmPageCache(corpus.root); // see warmPageCache: borg may have run just before
      syncDisks();
      const r = await tool.backup(repo, corpus.root, 'project');
      const s = sample(r, true);
      (mode === 'with' ? result.withParity : result.noParity).push(s);
      const parts = (await tool.storeParts?.(repo)) ?? null;
      if (mode === 'with') result.storeWith = parts;
      else result.storeWithout = parts;
      ctx.log(`  ${mode === 'with' ? 'parity on ' : 'parity off'} ${fmt(r.wallSeconds)} s (engine ${fmt(s.engineSeconds)} s), CPU ${fmt(s.cpuSeconds)} s, background ${fmt(s.backgroundCores)} cores`);
      if (mode === 'with' && rep === repeats - 1) result.keptVault = repo;
    }
  }
  // Removed only now: a backup right after the removal of another vault ran up to 30% slower
  // here (the disk's freeing work, see backup.ts), which put noise of that size between the modes.
  for (let rep = 0; rep < repeats; rep++) {
    for (const mode of ['with', 'without'] as const) {
      const repo = join(work, `vault-${mode}-${rep}`);
      if (repo !== result.keptVault) await removeTree(repo);
    }
  }
  return result;
}

// ---- 2. parity encode throughput, in the engine's worker pool ----

interface EncodeResult {
  packs: number;
  bytes: number;
  threads: number;
  /** The whole step: fold every pack in, then write the groups (fsync). */
  seconds: number[];
  /** Until every pack is folded in, before the groups are written. */
  foldSeconds: number[];
  parityBytes: number;
  /** Background cores over each child process (its own CPU excluded). */
  backgroundCores: number[];
}

async function parityEncode(ctx: BenchContext, root: string, packsDir: string, outDir: string, repeats: number): Promise<EncodeResult> {
  await removeTree(outDir);
  await mkdir(outDir, { recursive: true });
  syncDisks();
  const r = await timed(process.execPath, [PARITY_ENCODE, JSON.stringify({ root, packsDir, outDir, repeats, redundancy: 0.1 })]);
  const out = JSON.parse(r.stdout) as { packs: number; bytes: number; threads: number; runs: { seconds: number; foldSeconds: number; parityBytes: number }[] };
  await removeTree(outDir);
  const result = { packs: out.packs, bytes: out.bytes, threads: out.threads, seconds: out.runs.map((x) => round(x.seconds, 4)), foldSeconds: out.runs.map((x) => round(x.foldSeconds, 4)), parityBytes: out.runs.at(-1)?.parityBytes ?? 0, backgroundCores: [round(r.backgroundCores, 2)] };
  ctx.log(`parity encode: ${out.packs} packs, ${fmt(out.bytes / MB, 1)} MB in ${result.seconds.map((s) => fmt(s, 3)).join(', ')} s → ${fmt(out.bytes / MB / median(result.seconds), 0)} MB/s (${out.threads} worker threads)`);
  return result;
}

// ---- 3. reading every stored byte back ----

interface CheckResult {
  readData: Record<'mmry' | 'restic' | 'borg', Sample[]>;
  quick: Record<'mmry' | 'restic' | 'borg', Sample[]>;
  medians: Record<'mmry' | 'restic' | 'borg', number>;
  storeBytes: Record<'mmry' | 'restic' | 'borg', number>;
  /** mmry's own report of the read-data pass. */
  mmryReport: { healthy: boolean; packsChecked: number; blobsChecked: number } | null;
  describe: Record<string, string>;
}

async function checkAllData(ctx: BenchContext, corpus: Corpus, mmryTool: MmryTool, vault: string, work: string, repeats: number): Promise<CheckResult> {
  const others: BackupTool[] = [restic(), borg()];
  const repos: Record<string, string> = { mmry: vault };
  for (const tool of others) {
    const repo = join(work, `${tool.name}-repo`);
    await tool.init(repo);
    syncDisks();
    const r = await tool.backup(repo, corpus.root, 'project');
    repos[tool.name] = repo;
    ctx.log(`  ${tool.name} backup of the corpus for its check: ${fmt(r.wallSeconds)} s`);
  }
  const tools: BackupTool[] = [mmryTool, ...others];
  const empty = () => ({ mmry: [], restic: [], borg: [] }) as Record<'mmry' | 'restic' | 'borg', Sample[]>;
  const result: CheckResult = { readData: empty(), quick: empty(), medians: { mmry: 0, restic: 0, borg: 0 }, storeBytes: { mmry: 0, restic: 0, borg: 0 }, mmryReport: null, describe: {} };
  for (const tool of tools) {
    result.storeBytes[tool.name] = await storeBytes(repos[tool.name]!);
    result.describe[tool.name] = tool.describe();
  }
  for (const readData of [true, false]) {
    ctx.log(`${readData ? 'read every byte back (verify --read-data / check --read-data / check --verify-data)' : 'structural check (verify / check / check)'} × ${repeats}`);
    for (let rep = 0; rep < repeats; rep++) {
      for (const tool of rotate(tools, rep)) {
        syncDisks();
        const r = await tool.check!(repos[tool.name]!, readData);
        if (r.exitCode !== 0) throw new Error(`${tool.name}'s check of a fresh, undamaged repository failed (exit ${r.exitCode}): ${r.command}\n${r.stdout.slice(-1000)}${r.stderr.slice(-1000)}`);
        (readData ? result.readData : result.quick)[tool.name].push(sample(r));
        if (tool.name === 'mmry' && readData) result.mmryReport = JSON.parse(r.stdout) as CheckResult['mmryReport'];
        ctx.log(`  ${tool.name.padEnd(6)} ${fmt(r.wallSeconds)} s, CPU ${fmt(r.userSeconds + r.sysSeconds)} s, background ${fmt(r.backgroundCores)} cores`);
      }
    }
  }
  for (const name of ['mmry', 'restic', 'borg'] as const) result.medians[name] = median(result.readData[name].map((s) => s.wallSeconds));
  for (const tool of others) await removeTree(repos[tool.name]!);
  return result;
}

// ---- 4. par2: create, then detect and repair 200 flipped bytes ----

interface Par2Result {
  /** Bytes flipped per repetition. */
  flips: number;
  fileSet: { files: number; bytes: number };
  par2Create: Sample[];
  par2RecoveryBytes: number;
  mmryEncode: { seconds: number[]; foldSeconds: number[]; bytes: number; packs: number; parityBytes: number; backgroundCores: number[] };
  vaultPackBytes: number;
  vaultParityBytes: number;
  vaultBackupSeconds: number;
  par2Verify: Sample[];
  par2Repair: Sample[];
  mmryVerify: Sample[];
  mmryRepair: Sample[];
  /** Per repetition: files that still differ from the originals after repair (0 = bit-perfect). */
  par2Differing: number[];
  mmryDiffering: number[];
  /** mmry repair's own account: pack files rewritten, still healthy afterwards. */
  mmryRepaired: { files: number; bytes: number; healthyAfter: boolean }[];
  /** How many of the flips par2's verify and mmry's quick verify reported, as each tool counts them. */
  detected: { par2: string[]; mmry: string[] };
  medians: { par2Create: number; mmryEncode: number; par2Repair: number; mmryRepair: number };
  par2Version: string;
  /** The undamaged vault of the file set (for a profiled repair). */
  vault: string;
}

async function par2Comparison(ctx: BenchContext, corpus: Corpus, source: { root: string; label: string }, tool: MmryTool, work: string, repeats: number): Promise<Par2Result> {
  const target = ctx.small ? 20 * MB : 100 * MB;
  const fileSet = join(work, 'fileset');
  const files = await pickFileSet(corpus.root, target);
  for (const f of files) {
    const to = join(fileSet, f.rel);
    await mkdir(dirname(to), { recursive: true });
    await copyFile(join(corpus.root, f.rel), to);
    await utimes(to, f.mtime, f.mtime);
  }
  const setBytes = files.reduce((a, f) => a + f.size, 0);
  const reference = await hashTree(fileSet);
  ctx.log(`par2 comparison: file set of ${files.length} corpus files ≥ 64 KiB under app/ and assets/, no near-copies, ${fmt(setBytes / MB, 1)} MB, ${PAR2_REDUNDANCY}% redundancy`);

  // The same bytes as ~16 MiB pseudo-packs, for the engine's parity.
  const rawPacks = join(work, 'fileset-packs');
  await writePseudoPacks(files.map((f) => join(fileSet, f.rel)), rawPacks);

  const par2Base = join(work, 'par2-base');
  await run('cp', ['-a', fileSet, par2Base]);
  const relFiles = files.map((f) => f.rel);
  const flips = ctx.small ? SMALL_FLIPS : FLIPS;
  const result: Par2Result = {
    flips,
    fileSet: { files: files.length, bytes: setBytes },
    par2Create: [],
    par2RecoveryBytes: 0,
    mmryEncode: { seconds: [], foldSeconds: [], bytes: 0, packs: 0, parityBytes: 0, backgroundCores: [] },
    vaultPackBytes: 0,
    vaultParityBytes: 0,
    vaultBackupSeconds: 0,
    par2Verify: [],
    par2Repair: [],
    mmryVerify: [],
    mmryRepair: [],
    par2Differing: [],
    mmryDiffering: [],
    mmryRepaired: [],
    detected: { par2: [], mmry: [] },
    medians: { par2Create: 0, mmryEncode: 0, par2Repair: 0, mmryRepair: 0 },
    par2Version: (await run('par2', ['--version'])).stdout.split('\n')[0]!.trim(),
    vault: join(work, 'fileset-vault'),
  };

  ctx.log(`  create × ${repeats}: par2 create -r${PAR2_REDUNDANCY} vs the engine's parity over the same bytes`);
  for (let rep = 0; rep < repeats; rep++) {
    for (const step of rep % 2 === 0 ? ['par2', 'mmry'] : ['mmry', 'par2']) {
      if (step === 'par2') {
        for (const n of await readdir(par2Base)) if (n.endsWith('.par2')) await rm(join(par2Base, n));
        syncDisks();
        const r = await timed('par2', ['create', '-q', `-r${PAR2_REDUNDANCY}`, PAR2_INDEX, '--', ...relFiles], { cwd: par2Base, env: PAR2_ENV });
        result.par2Create.push(sample(r));
        result.par2RecoveryBytes = await par2Bytes(par2Base);
        ctx.log(`    par2 create ${fmt(r.wallSeconds)} s (CPU ${fmt(r.userSeconds + r.sysSeconds)} s), recovery files ${fmt(result.par2RecoveryBytes / MB, 1)} MB`);
      } else {
        const e = await parityEncode({ ...ctx, log: () => {} }, source.root, rawPacks, join(work, 'encode-fileset'), 1);
        result.mmryEncode.seconds.push(...e.seconds);
        result.mmryEncode.foldSeconds.push(...e.foldSeconds);
        result.mmryEncode.backgroundCores.push(...e.backgroundCores);
        Object.assign(result.mmryEncode, { bytes: e.bytes, packs: e.packs, parityBytes: e.parityBytes });
        ctx.log(`    mmry parity ${fmt(e.seconds[0], 3)} s over ${e.packs} pseudo-packs, parity ${fmt(e.parityBytes / MB, 1)} MB`);
      }
    }
  }
  await removeTree(rawPacks);

  await tool.init(result.vault);
  syncDisks();
  const b = await tool.backup(result.vault, fileSet, 'fileset');
  result.vaultBackupSeconds = round(b.wallSeconds, 3);
  const parts = await tool.storeParts!(result.vault);
  result.vaultPackBytes = parts['packs'] ?? 0;
  result.vaultParityBytes = parts['parity'] ?? 0;
  ctx.log(`  mmry vault of the file set: backup ${fmt(b.wallSeconds)} s, packs ${fmt(result.vaultPackBytes / MB, 1)} MB, parity ${fmt(result.vaultParityBytes / MB, 1)} MB`);

  ctx.log(`  ${flips} flipped bytes (seeded), detect and repair × ${repeats}`);
  for (let rep = 0; rep < repeats; rep++) {
    const seed = SEED + rep;
    for (const step of rep % 2 === 0 ? ['par2', 'mmry'] : ['mmry', 'par2']) {
      if (step === 'par2') {
        const dir = join(work, 'par2-work');
        await removeTree(dir);
        await run('cp', ['-a', par2Base, dir]);
        await flipBytes(relFiles.map((f) => join(dir, f)), flips, seed);
        syncDisks();
        // par2 verify exits 1 when damage is found and repairable.
        const v = await timed('par2', ['verify', PAR2_INDEX], { cwd: dir, env: PAR2_ENV, okCodes: [0, 1, 2] });
        result.par2Verify.push(sample(v));
        result.detected.par2.push(par2Damage(v.stdout));
        syncDisks();
        const r = await timed('par2', ['repair', PAR2_INDEX], { cwd: dir, env: PAR2_ENV, okCodes: [0, 1, 2] });
        result.par2Repair.push(sample(r));
        const differing = differingFiles(reference, await hashTree(dir));
        result.par2Differing.push(differing.length);
        ctx.log(`    par2 verify ${fmt(v.wallSeconds)} s (${result.detected.par2.at(-1)}), repair ${fmt(r.wallSeconds)} s (exit ${r.exitCode}), files still differing: ${differing.length}`);
        await removeTree(dir);
      } else {
        const dir = join(work, 'vault-work');
        await prepareDamagedVault(result.vault, dir, seed, flips);
        syncDisks();
        const v = await tool.check!(dir, false);
        result.mmryVerify.push(sample(v));
        result.detected.mmry.push(mmryDamage(v.stdout));
        syncDisks();
        const r = await tool.repair(dir);
        result.mmryRepair.push(sample(r));
        const report = JSON.parse(r.stdout) as { repairedFiles: string[]; repairedBytes: number; after: { healthy: boolean } };
        result.mmryRepaired.push({ files: report.repairedFiles.length, bytes: report.repairedBytes, healthyAfter: report.after.healthy });
        const restored = join(work, 'restored');
        await removeTree(restored);
        await mkdir(restored, { recursive: true });
        // Damage beyond repair in a draw (exit 2: some files not restored) is a result to report, not a bench failure.
        const restore = await tool.restore(dir, restored, fileSet, { okCodes: [0, 2] });
        const differing = differingFiles(reference, await hashTree(restore.root));
        result.mmryDiffering.push(differing.length);
        ctx.log(`    mmry verify ${fmt(v.wallSeconds)} s (exit ${v.exitCode}, ${result.detected.mmry.at(-1)}), repair ${fmt(r.wallSeconds)} s (exit ${r.exitCode}, ${report.repairedFiles.length} pack files rewritten, healthy after: ${report.after.healthy}), restored files differing: ${differing.length}`);
        if (differing.length > 0) ctx.log(`      e.g. ${differing.slice(0, 5).join('; ')}`);
        await removeTree(restored);
        await removeTree(dir);
      }
    }
  }
  const med = (s: Sample[]) => median(s.map((x) => x.wallSeconds));
  // A par2 repair that gave up (exit ≠ 0: more damaged blocks than recovery blocks) is no repair time.
  const par2Repaired = result.par2Repair.filter((s) => s.exitCode === 0);
  result.medians = { par2Create: med(result.par2Create), mmryEncode: median(result.mmryEncode.seconds), par2Repair: par2Repaired.length > 0 ? med(par2Repaired) : Number.NaN, mmryRepair: med(result.mmryRepair) };
  await removeTree(par2Base);
  await removeTree(fileSet);
  return result;
}

/** A copy of `vault` with `flips` bytes flipped across its pack files. */
async function prepareDamagedVault(vault: string, dir: string, seed: number, flips: number): Promise<void> {
  await removeTree(dir);
  await run('cp', ['-a', vault, dir]);
  const packs = (await readdir(join(dir, 'packs'))).filter((n) => n.endsWith('.pack')).sort();
  await flipBytes(packs.map((n) => join(dir, 'packs', n)), flips, seed);
}

interface PickedFile {
  rel: string;
  size: number;
  mtime: Date;
}

/**
 * Real files of the corpus, ≥ 64 KiB (so par2 is not charged for thousands
 * of tiny files), under app/ and assets/ in path order, while the total stays
 * within `target`. The odd/ folder (zeros, random bytes) is left out, and so
 * is any file sharing 32 KiB or more of content with one already chosen
 * (the corpus has near-copies: echarts.esm.js/.mjs, three .map files of one
 * bundle, a changelog in three packages). With those, par2 matches blocks
 * across files ("found N data blocks from several target files") and
 * counts ~35% more blocks damaged than there are flips, so 200 flips exceed
 * its 200 recovery blocks; mmry would also deduplicate them away. Without
 * them both tools protect the same, distinct bytes.
 */
async function pickFileSet(root: string, target: number): Promise<PickedFile[]> {
  const picked: PickedFile[] = [];
  const seen = new Set<string>();
  let total = 0;
  const candidates: PickedFile[] = [];
  await walk(root, '', async (rel, _abs, st) => {
    if (st.isFile() && st.size > 64 * 1024 && /^(app|assets)\//.test(rel)) candidates.push({ rel, size: st.size, mtime: st.mtime });
  });
  for (const c of candidates) {
    if (total + c.size > target) continue;
    const chunks = contentChunks(await readFile(join(root, c.rel)));
    const shared = chunks.reduce((n, ch) => n + (seen.has(ch.hash) ? ch.length : 0), 0);
    if (shared >= 32 * 1024) continue;
    for (const ch of chunks) seen.add(ch.hash);
    total += c.size;
    picked.push(c);
  }
  return picked;
}

const GEAR = (() => {
  const random = seededRandom(0x67656172);
  return Uint32Array.from({ length: 256 }, () => Math.floor(random() * 0x1_0000_0000));
})();

/** Content-defined chunks (gear hash, ~8 KiB average, 2 KiB minimum): equal runs of bytes give equal chunks wherever they sit. */
function contentChunks(bytes: Buffer): { hash: string; length: number }[] {
  const out: { hash: string; length: number }[] = [];
  let start = 0;
  let h = 0;
  for (let i = 0; i < bytes.length; i++) {
    h = ((h << 1) + GEAR[bytes[i]!]!) >>> 0;
    if ((i - start >= 2048 && (h & 0x1fff) === 0) || i === bytes.length - 1) {
      out.push({ hash: createHash('sha256').update(bytes.subarray(start, i + 1)).digest('hex'), length: i + 1 - start });
      start = i + 1;
      h = 0;
    }
  }
  return out;
}

/** The files' bytes, concatenated in order and cut into PACK_BYTES pieces named like packs. */
async function writePseudoPacks(paths: string[], dir: string): Promise<void> {
  await removeTree(dir);
  await mkdir(dir, { recursive: true });
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = async (all: boolean) => {
    let joined = Buffer.concat(pending);
    while (joined.length >= PACK_BYTES || (all && joined.length > 0)) {
      const piece = joined.subarray(0, Math.min(PACK_BYTES, joined.length));
      await writeFile(join(dir, `${randomBytes(16).toString('hex')}.pack`), piece);
      joined = joined.subarray(piece.length);
    }
    pending = joined.length > 0 ? [Buffer.from(joined)] : [];
    pendingBytes = joined.length;
  };
  for (const p of paths) {
    const bytes = await readFile(p);
    pending.push(bytes);
    pendingBytes += bytes.length;
    if (pendingBytes >= PACK_BYTES) await flush(false);
  }
  await flush(true);
}

async function par2Bytes(dir: string): Promise<number> {
  let total = 0;
  for (const n of await readdir(dir)) if (n.endsWith('.par2')) total += (await stat(join(dir, n))).size;
  return total;
}

/** par2 verify's own summary line of what it found. */
function par2Damage(stdout: string): string {
  const damaged = /(\d+) file\(s\) exist but are damaged/.exec(stdout)?.[1];
  const blocks = /You have (\d+) out of (\d+) data blocks available/.exec(stdout);
  const parts = [damaged ? `${damaged} files damaged` : '', blocks ? `${Number(blocks[2]) - Number(blocks[1])} of ${blocks[2]} blocks damaged` : ''].filter(Boolean);
  return parts.join(', ') || 'no damage reported';
}

/** mmry verify --json: how many pack files it found damaged, and whether all of it is repairable. */
function mmryDamage(stdout: string): string {
  try {
    const r = JSON.parse(stdout) as { damage: { where: string; what: string; repairable: boolean }[] };
    const stripes = r.damage.reduce((n, d) => n + Number(/(\d+) damaged stripe/.exec(d.what)?.[1] ?? 0), 0);
    return `${r.damage.length} files damaged, ${stripes} stripes, ${r.damage.every((d) => d.repairable) ? 'all repairable' : 'some NOT repairable'}`;
  } catch {
    return 'no report';
  }
}

/** Files of `reference` that are missing or differ in `actual` (extra files, e.g. par2's, are ignored). */
function differingFiles(reference: TreePrint, actual: TreePrint): string[] {
  const only = new Map([...actual].filter(([rel]) => reference.has(rel)));
  return compareTrees(reference, only).content;
}

// ---- profiles of the mmry steps that miss their goal ----

async function profileStep(ctx: BenchContext, source: { root: string; label: string }, step: string, go: (t: MmryTool) => Promise<TimedRun>, work: string): Promise<ProfileTop> {
  const dir = join(work, 'profile', step.replace(/\W+/g, '-'));
  await removeTree(dir);
  await mkdir(dir, { recursive: true });
  // From the sources, so the table names our files (see the profile section).
  const tool = mmry(source, { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`], env: { MMRY_CLI_SOURCES: '1' } });
  syncDisks();
  const r = await go(tool);
  const threads = await readProfiles(dir, source.root);
  const mainThreads = threads.filter((t) => t.threadId === 0);
  const workerThreads = threads.filter((t) => t.threadId !== 0);
  const working = (list: SelfTime[]) => list.filter((f) => !/^(\(idle\)|atomicsWaitLoop)/.test(f.name));
  const main = working(merge(mainThreads.map((t) => t.functions)));
  const workers = working(merge(workerThreads.map((t) => t.functions)));
  const sum = (list: typeof threads, pick: (t: (typeof threads)[number]) => number) => Math.round(list.reduce((a, t) => a + pick(t), 0));
  const top: ProfileTop = { step, wallSeconds: round(r.wallSeconds, 3), mainBusyMs: sum(mainThreads, (t) => t.busyMs), mainSpanMs: sum(mainThreads, (t) => t.spanMs), workerThreads: workerThreads.length, workersBusyMs: sum(workerThreads, (t) => t.busyMs), main: main.slice(0, 10), workers: workers.slice(0, 10) };
  ctx.log(`profiled mmry ${step}: ${fmt(r.wallSeconds)} s; main thread busy ${top.mainBusyMs} of ${top.mainSpanMs} ms, top: ${main.slice(0, 3).map((f) => `${f.name} ${f.selfMs.toFixed(0)} ms`).join(', ')}`);
  return top;
}

// ---- report ----

function summarise(ctx: BenchContext, corpus: Corpus, mmryLabel: string, cost: CostResult, encode: EncodeResult, checks: CheckResult, par2: Par2Result, profiles: ProfileTop[], repeats: number): SectionResult {
  const wall = (s: Sample[]) => median(s.map((x) => x.wallSeconds));
  const cpu = (s: Sample[]) => median(s.map((x) => x.cpuSeconds));
  const engine = (s: Sample[]) => median(s.flatMap((x) => (x.engineSeconds === undefined ? [] : [x.engineSeconds])));
  const goals: GoalCheck[] = [];
  const tables: Table[] = [];

  const costWall = wall(cost.withParity) / wall(cost.noParity) - 1;
  const costEngine = engine(cost.withParity) / engine(cost.noParity) - 1;
  const costCpu = cpu(cost.withParity) / cpu(cost.noParity) - 1;
  const costGoal = goal('parity adds to initial backup time (wall)', costWall, GOALS.parityCost);
  goals.push(costGoal);
  const parityMB = (cost.storeWith?.['parity'] ?? 0) / MB;
  const packsMB = (cost.storeWith?.['packs'] ?? 0) / MB;
  tables.push({
    title: `Parity cost on the initial backup: ${corpus.name} (${fmt(corpus.bytes / MB, 1)} MB, ${corpus.files} files), median of ${cost.withParity.length} each, interleaved`,
    header: ['metric', 'parity on (default)', 'parity off (--redundancy 0)', 'added', 'goal', 'result'],
    rows: [
      ['initial backup, wall s', fmt(wall(cost.withParity)), fmt(wall(cost.noParity)), pct(costWall), `≤ ${pct(GOALS.parityCost)}`, costGoal.status],
      ['initial backup, wall s, fastest run', fmt(Math.min(...cost.withParity.map((x) => x.wallSeconds))), fmt(Math.min(...cost.noParity.map((x) => x.wallSeconds))), pct(Math.min(...cost.withParity.map((x) => x.wallSeconds)) / Math.min(...cost.noParity.map((x) => x.wallSeconds)) - 1), '', ''],
      ['initial backup, engine s (no start-up/unlock)', fmt(engine(cost.withParity)), fmt(engine(cost.noParity)), pct(costEngine), '', ''],
      ['initial backup, CPU (user+sys) s', fmt(cpu(cost.withParity)), fmt(cpu(cost.noParity)), pct(costCpu), '', ''],
      ['peak RSS, MB', fmt(median(cost.withParity.map((s) => s.maxRssBytes / MB)), 0), fmt(median(cost.noParity.map((s) => s.maxRssBytes / MB)), 0), '', '', ''],
      ['packs / parity, MB', `${fmt(packsMB, 1)} / ${fmt(parityMB, 1)}`, `${fmt((cost.storeWithout?.['packs'] ?? 0) / MB, 1)} / ${fmt((cost.storeWithout?.['parity'] ?? 0) / MB, 1)}`, packsMB > 0 ? pct(parityMB / packsMB) : '–', '', ''],
    ],
    numeric: [1, 2, 3],
  });

  const encodeMBps = encode.bytes / MB / median(encode.seconds);
  const fileSetMBps = par2.mmryEncode.bytes / MB / par2.medians.mmryEncode;
  const par2MBps = par2.fileSet.bytes / MB / par2.medians.par2Create;
  tables.push({
    title: `Parity encode throughput (MB/s of data protected; engine ParityProtector in its ${encode.threads}-thread worker pool: fold, stripe CRCs, parity written with fsync), median of ${repeats}`,
    header: ['data', 'MB', 'packs', 'parity MB', 'total s', 'MB/s', 'fold only s', 'fold MB/s'],
    rows: [
      [`packs of the ${corpus.name} vault`, fmt(encode.bytes / MB, 1), String(encode.packs), fmt(encode.parityBytes / MB, 1), fmt(median(encode.seconds), 3), fmt(encodeMBps, 0), fmt(median(encode.foldSeconds), 3), fmt(encode.bytes / MB / median(encode.foldSeconds), 0)],
      ['par2 file set as 16 MiB pseudo-packs', fmt(par2.mmryEncode.bytes / MB, 1), String(par2.mmryEncode.packs), fmt(par2.mmryEncode.parityBytes / MB, 1), fmt(par2.medians.mmryEncode, 3), fmt(fileSetMBps, 0), fmt(median(par2.mmryEncode.foldSeconds), 3), fmt(par2.mmryEncode.bytes / MB / median(par2.mmryEncode.foldSeconds), 0)],
      [`par2 create -r${PAR2_REDUNDANCY}, same file set`, fmt(par2.fileSet.bytes / MB, 1), `${par2.fileSet.files} files`, fmt(par2.par2RecoveryBytes / MB, 1), fmt(par2.medians.par2Create, 3), fmt(par2MBps, 0), '', ''],
    ],
    numeric: [1, 3, 4, 5, 6, 7],
  });

  const verifyRatio = ratio(checks.medians.mmry, checks.medians.restic);
  const verifyGoal = goal('mmry verify --read-data / restic check --read-data', verifyRatio, GOALS.verify);
  goals.push(verifyGoal);
  const q = (n: 'mmry' | 'restic' | 'borg') => wall(checks.quick[n]);
  const c = (n: 'mmry' | 'restic' | 'borg') => cpu(checks.readData[n]);
  tables.push({
    title: `Reading all data back: ${corpus.name}, same data in each tool's repository, median of ${repeats}`,
    header: ['metric', 'mmry', 'restic', 'borg', 'mmry/restic', 'mmry/borg', 'goal', 'result'],
    rows: [
      ['verify --read-data | check --read-data | check --verify-data, s', fmt(checks.medians.mmry), fmt(checks.medians.restic), fmt(checks.medians.borg), fmtRatio(verifyRatio, 3), fmtRatio(ratio(checks.medians.mmry, checks.medians.borg)), `≤ ${GOALS.verify.toFixed(2)}×`, verifyGoal.status],
      ['  CPU (user+sys), s', fmt(c('mmry')), fmt(c('restic')), fmt(c('borg')), fmtRatio(ratio(c('mmry'), c('restic'))), fmtRatio(ratio(c('mmry'), c('borg'))), '', ''],
      ['  peak RSS, MB', ...(['mmry', 'restic', 'borg'] as const).map((n) => fmt(median(checks.readData[n].map((s) => s.maxRssBytes / MB)), 0)), '', '', '', ''],
      ['structural check: verify | check | check, s', fmt(q('mmry')), fmt(q('restic')), fmt(q('borg')), fmtRatio(ratio(q('mmry'), q('restic'))), fmtRatio(ratio(q('mmry'), q('borg'))), '', ''],
      ['repository, MB (mmry: packs + parity + catalog)', ...(['mmry', 'restic', 'borg'] as const).map((n) => fmt(checks.storeBytes[n] / MB, 1)), '', '', '', ''],
    ],
    numeric: [1, 2, 3, 4, 5],
  });

  const createRatio = ratio(par2.medians.mmryEncode, par2.medians.par2Create);
  const repairRatio = ratio(par2.medians.mmryRepair, par2.medians.par2Repair);
  const createGoal = goal(`mmry parity time / par2 create time, same ${fmt(par2.fileSet.bytes / MB, 0)} MB (≥ 10× throughput)`, createRatio, GOALS.create);
  const repairGoal = goal(`mmry repair / par2 repair, ${par2.flips} flipped bytes`, repairRatio, GOALS.repair);
  const exactGoal = goal('mmry repaired bit-perfectly (restored files differing, worst repetition)', Math.max(...par2.mmryDiffering), 0);
  goals.push(createGoal, repairGoal, exactGoal);
  const verifyMed = (s: Sample[]) => wall(s);
  tables.push({
    title: `par2 comparison: ${par2.fileSet.files} real files, ${fmt(par2.fileSet.bytes / MB, 1)} MB, ${PAR2_REDUNDANCY}% redundancy, ${par2.flips} seeded byte flips (mmry: in its ${fmt(par2.vaultPackBytes / MB, 1)} MB of pack files; par2: in the files), median of ${repeats}`,
    header: ['metric', 'mmry', 'par2', 'mmry/par2', 'goal', 'result'],
    rows: [
      ['create parity, s', fmt(par2.medians.mmryEncode, 3), fmt(par2.medians.par2Create), fmtRatio(createRatio, 3), `≤ ${GOALS.create.toFixed(2)}×`, createGoal.status],
      ['  throughput, MB/s of data', fmt(fileSetMBps, 0), fmt(par2MBps, 1), fmtRatio(fileSetMBps / par2MBps, 1), '≥ 10×', ''],
      ['  parity stored, MB', fmt(par2.mmryEncode.parityBytes / MB, 1), fmt(par2.par2RecoveryBytes / MB, 1), '', '', ''],
      ['detect only: verify (quick) | par2 verify, s', fmt(verifyMed(par2.mmryVerify)), fmt(verifyMed(par2.par2Verify)), fmtRatio(ratio(verifyMed(par2.mmryVerify), verifyMed(par2.par2Verify))), '', ''],
      ['detect + repair: mmry repair | par2 repair, s', fmt(par2.medians.mmryRepair), fmt(par2.medians.par2Repair), fmtRatio(repairRatio, 3), `≤ ${GOALS.repair.toFixed(2)}×`, repairGoal.status],
      ['  CPU (user+sys), s', fmt(cpu(par2.mmryRepair)), fmt(cpu(par2.par2Repair)), fmtRatio(ratio(cpu(par2.mmryRepair), cpu(par2.par2Repair))), '', ''],
      ['files differing from the originals after repair (per repetition)', par2.mmryDiffering.join(', '), par2.par2Differing.join(', '), '', '= 0', exactGoal.status],
    ],
    numeric: [1, 2, 3],
  });

  for (const p of profiles) {
    tables.push({ title: `Profile of mmry ${p.step} (${fmt(p.wallSeconds)} s under --cpu-prof): main thread busy ${p.mainBusyMs} of ${p.mainSpanMs} ms; top self time (idle left out)`, header: ['self ms', 'function'], rows: p.main.slice(0, 8).map((f) => [f.selfMs.toFixed(0), f.name]), numeric: [0] });
    if (p.workers.length > 0) tables.push({ title: `Profile of mmry ${p.step}: ${p.workerThreads} worker threads busy ${p.workersBusyMs} ms in all; top self time (waiting for tasks left out)`, header: ['self ms', 'function'], rows: p.workers.slice(0, 8).map((f) => [f.selfMs.toFixed(0), f.name]), numeric: [0] });
  }

  const notes: string[] = [];
  notes.push(`mmry: ${cost.describe.withParity}; the parity-off vaults: init --redundancy 0.`);
  notes.push(`restic: ${checks.describe['restic']}; borg: ${checks.describe['borg']}; ${par2.par2Version}, create -r${PAR2_REDUNDANCY} with its defaults (2000 source blocks, all cores), OMP_WAIT_POLICY=PASSIVE (see PAR2_ENV).`);
  if (checks.mmryReport) notes.push(`mmry verify --read-data checked ${checks.mmryReport.packsChecked} packs and ${checks.mmryReport.blobsChecked} blobs (every stripe CRC of packs and parity, every blob decrypted and authenticated by its AEAD tag, which binds its id; restore and browse also decompress and re-check the id on every read); restic check --read-data reads every pack and hashes every blob's plaintext; borg check --verify-data decrypts and checks every chunk.`);
  notes.push(`mmry's parity stores ${pct(parityMB / (packsMB || 1))} of its pack bytes on the ${corpus.name} vault and ${pct(par2.mmryEncode.parityBytes / (par2.mmryEncode.bytes || 1))} on the par2 file set, not 10%: a group of up to 10 packs carries one parity file the size of its largest pack (so that a whole lost pack can be rebuilt), 1/n for a group of n packs, plus the CRC-32 of every 512-byte stripe in 2 descriptor copies (~1.6%) (README: "a vault of only a few packs pays proportionally more"). Encode work is 2 multiply-adds per data byte (rows of two stripes, RS(20, 2)) whatever the group's fill; par2's is one per recovery block (${PAR2_REDUNDANCY}% of 2000).`);
  notes.push(`Repair: mmry's vault of the file set holds ${fmt(par2.vaultPackBytes / MB, 1)} MB of packs (compressed and deduplicated from ${fmt(par2.fileSet.bytes / MB, 1)} MB) and ${fmt(par2.vaultParityBytes / MB, 1)} MB of parity; backing it up took ${fmt(par2.vaultBackupSeconds)} s (not part of any ratio). The ${par2.flips} flips fall on what each tool stores, so mmry scans fewer bytes. mmry repair = check every stripe of packs and parity, rebuild, write atomically, check every stripe again, then (since files were rewritten) a full read-data pass that authenticates every blob of the vault; par2 repair = scan, rebuild, re-verify the rebuilt files.`);
  notes.push(`Found by detection, repetition by repetition: mmry ${par2.detected.mmry.join(' | ')}; par2 ${par2.detected.par2.join(' | ')}. mmry repair: ${par2.mmryRepaired.map((r) => `${r.files} pack files rewritten, healthy after: ${r.healthyAfter}`).join(' | ')}.`);
  notes.push(`par2 repair exit codes: ${par2.par2Repair.map((x) => x.exitCode).join(', ')} (0 = repaired; a failed repair is left out of the median).`);
  notes.push(`Bit-perfect checks: mmry restored the repaired vault and compared every file's SHA-256 with the originals; par2's repaired files compared the same way.`);
  const bg = [...cost.withParity, ...cost.noParity, ...Object.values(checks.readData).flat(), ...Object.values(checks.quick).flat(), ...par2.par2Create, ...par2.par2Repair, ...par2.mmryRepair, ...par2.par2Verify, ...par2.mmryVerify].map((s) => s.backgroundCores);
  bg.push(...encode.backgroundCores, ...par2.mmryEncode.backgroundCores);
  notes.push(`Contention: other processes used a median ${fmt(median(bg))} cores (max ${fmt(Math.max(...bg))}) of ${availableParallelism()} during the timed steps (from /proc/stat); by step: backups ${fmt(median([...cost.withParity, ...cost.noParity].map((s) => s.backgroundCores)))}, checks ${fmt(median(Object.values(checks.readData).flat().map((s) => s.backgroundCores)))}, par2 steps ${fmt(median([...par2.par2Create, ...par2.par2Repair, ...par2.mmryRepair].map((s) => s.backgroundCores)))}.`);
  notes.push('Page cache warm (a hash walk of the corpus first; it cannot be dropped here). `sync` before every timed step; tools take turns going first. Wall times include start-up and key derivation (mmry: Node + Argon2id; restic: scrypt; borg: PBKDF2; par2 has no key).');
  if (profiles.length > 0) notes.push('Profiles: each missed mmry step was run once more under node --cpu-prof (not timed for the goals); tables above.');
  if (ctx.small) notes.push(`MMRY_BENCH_SMALL=1: small corpus, a ≤ 20 MB par2 file set, ${SMALL_FLIPS} flips, 1 repetition: a quick check, not a result.`);
  notes.push(`mmry under test: ${mmryLabel}.`);

  const data = {
    corpus: { name: corpus.name, bytes: corpus.bytes, files: corpus.files },
    goals: GOALS,
    parityCost: { withParity: cost.withParity, noParity: cost.noParity, storeWith: cost.storeWith, storeWithout: cost.storeWithout, addedWall: costWall, addedEngine: costEngine, addedCpu: costCpu },
    encode: { ...encode, mbps: encodeMBps },
    checks: { readData: checks.readData, quick: checks.quick, storeBytes: checks.storeBytes, mmryReport: checks.mmryReport },
    par2: { ...par2, vault: undefined, mbps: { mmry: fileSetMBps, par2: par2MBps } },
    profiles,
  };
  return { title: 'heal', tables, goals, notes, data };
}

function sample(r: TimedRun, backup = false): Sample {
  const s: Sample = { wallSeconds: round(r.wallSeconds, 3), cpuSeconds: round(r.userSeconds + r.sysSeconds, 2), maxRssBytes: r.maxRssBytes, backgroundCores: round(r.backgroundCores, 2), exitCode: r.exitCode };
  if (backup) {
    const durationMs = (JSON.parse(r.stdout) as { durationMs?: number }).durationMs;
    if (typeof durationMs === 'number') s.engineSeconds = durationMs / 1000;
  }
  return s;
}

function rotate<T>(list: T[], by: number): T[] {
  return list.map((_, i) => list[(i + by) % list.length]!);
}

function pct(x: number): string {
  return Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '–';
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
