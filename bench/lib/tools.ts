/**
 * The backup tools under test, behind one small interface: init a fresh
 * repository, back a folder up, restore the latest snapshot. Every call is a
 * real process, timed by lib/proc.ts. Each tool gets its own password and
 * its own cache/config folders under bench/.work/home, so runs never touch
 * the user's real ones.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { WORK_DIR } from './corpus.ts';
import { removeTree, storeBytes } from './fstree.ts';
import { run, timed } from './proc.ts';
import type { TimedRun } from './proc.ts';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PASSWORD = 'bench-password-not-secret';
const HOME = join(WORK_DIR, 'home');

export type ToolName = 'mmry' | 'restic' | 'borg';

export interface BackupTool {
  readonly name: ToolName;
  /** Version and the settings used, for the report. */
  describe(): string;
  /** Creates a repository in `repo` (missing or empty). Not timed. */
  init(repo: string): Promise<void>;
  /** Backs `source` up as the next snapshot of `project`. */
  backup(repo: string, source: string, project: string): Promise<TimedRun>;
  /** Restores the latest snapshot into the empty folder `target`; `root` is where the source's top folder landed. */
  /** `okCodes`: exit codes that are results, not failures (mmry exits 2 when some files could not be restored). */
  restore(repo: string, target: string, source: string, options?: { okCodes?: number[] }): Promise<{ run: TimedRun; root: string }>;
  /** Bytes of the repository by part, where the tool's layout has parts worth telling apart. */
  storeParts?(repo: string): Promise<Record<string, number>>;
  /**
   * Checks the repository: `readData` reads and authenticates every stored
   * byte (mmry verify --read-data, restic check --read-data, borg check
   * --verify-data); without it, each tool's structural check. Exit codes that
   * mean "damage found" count as success here: the caller reads `exitCode`.
   */
  check?(repo: string, readData: boolean): Promise<TimedRun>;
}

/** mmry also repairs, and tells its repository's parity setting at init. */
export interface MmryTool extends BackupTool {
  readonly name: 'mmry';
  check(repo: string, readData: boolean): Promise<TimedRun>;
  /** `mmry repair VAULT --json`; exit 4 (damage remains) counts as success, the caller reads it. */
  repair(repo: string): Promise<TimedRun>;
}

export interface MmryOptions {
  /** Extra Node flags for the CLI process (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** Extra environment for the CLI process. */
  env?: Record<string, string>;
  /** Extra arguments for `mmry init`, e.g. ['--redundancy', '0']. */
  initArgs?: string[];
}

/**
 * The mmry source to run: the work tree by default, or with
 * MMRY_BENCH_MMRY_REV=<git rev> that revision, extracted once with
 * `git archive` into bench/.work/mmry-<commit> (node_modules linked from the
 * work tree). A fixed revision gives stable numbers while the work tree
 * changes, and an A/B comparison of two revisions.
 */
/** A tree to run mmry from; `bundled` once its launcher was seen taking the CLI bundle. */
export interface MmrySource {
  root: string;
  label: string;
  bundled?: boolean;
}

export async function mmrySource(): Promise<MmrySource> {
  const rev = process.env['MMRY_BENCH_MMRY_REV'];
  const changed = safeExec('git', ['-C', REPO_ROOT, 'status', '--porcelain', '--', 'src-main', 'bin', 'package.json']);
  if (!rev) return checked({ root: REPO_ROOT, label: `work tree at ${safeExec('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD'])}${changed ? ' + uncommitted changes' : ''}` });
  const commit = (await run('git', ['-C', REPO_ROOT, 'rev-parse', '--short', `${rev}^{commit}`])).stdout.trim();
  const root = join(WORK_DIR, `mmry-${commit}`);
  if (!existsSync(join(root, 'bin', 'mmry.js'))) {
    await removeTree(root);
    await mkdir(root, { recursive: true });
    await run('sh', ['-c', 'git -C "$1" archive "$2" | tar -x -C "$3"', 'sh', REPO_ROOT, commit, root]);
    await symlink(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'));
  }
  return checked({ root, label: `commit ${commit} (MMRY_BENCH_MMRY_REV=${rev})` });
}

/** The Node flags on the launcher's `#!/usr/bin/env -S node …` line. */
export function launcherFlags(launcher: string): string[] {
  const first = readFileSync(launcher, 'utf8').split('\n', 1)[0]!;
  const m = /^#!\/usr\/bin\/env\s+(?:-S\s+)?node((?:\s+--?[\w-]+(?:=\S+)?)*)\s*$/.exec(first);
  if (!m) throw new Error(`${launcher}: unexpected first line ${JSON.stringify(first)}`);
  return m[1]!.trim().split(/\s+/).filter(Boolean);
}

/**
 * Loading the CLI once up front turns a broken checkout into one clear error
 * instead of a failed step mid-run. Where the tree has the bundled CLI
 * (rolldown.cli.config.ts), it is built first, so the runs time what `npx
 * mmry` runs after `npm install`, not the TypeScript sources.
 */
async function checked(source: MmrySource): Promise<MmrySource> {
  if (existsSync(join(source.root, 'rolldown.cli.config.ts'))) {
    // The tree's own build command (package.json), as `npm install` runs it.
    await run('npm', ['run', '--silent', 'build:cli'], { cwd: source.root });
    if (!(await takesBundle(source.root))) throw new Error(`mmry (${source.label}): the CLI bundle was built but the launcher does not take it`);
    source = { ...source, label: `${source.label}, bundled CLI`, bundled: true };
  }
  try {
    await run(process.execPath, [join(source.root, 'bin', 'mmry.js'), '--version']);
  } catch (err) {
    throw new Error(`mmry (${source.label}) does not start:\n${err instanceof Error ? err.message : String(err)}`);
  }
  return source;
}

/** Whether the tree's launcher would run its CLI bundle now (its own bin/cli-entry.js decides). */
async function takesBundle(root: string): Promise<boolean> {
  const { cliEntry } = (await import(pathToFileURL(join(root, 'bin', 'cli-entry.js')).href)) as { cliEntry: (root: URL) => { bundled: boolean } };
  return cliEntry(pathToFileURL(`${root}/`)).bundled;
}

export function mmry(source: MmrySource, options: MmryOptions = {}): MmryTool {
  const env = { ...options.env, MMRY_PASSWORD: PASSWORD };
  const launcher = join(source.root, 'bin', 'mmry.js');
  // Node is started with the launcher's own flags, as `npx mmry` does through its `#!` line.
  const cli = (args: string[]) => [...launcherFlags(launcher), ...(options.nodeArgs ?? []), launcher, ...args];
  const forcedSources = options.env?.['MMRY_CLI_SOURCES'] === '1';
  /**
   * A source file edited while the bench runs makes the launcher fall back
   * to the TypeScript sources (slower to start): every step from then on
   * would time something else, so the run stops instead of recording it.
   */
  const stillBundled = async () => {
    if (!source.bundled || forcedSources) return;
    if (!(await takesBundle(source.root))) {
      throw new Error(`mmry (${source.label}): a source file changed during the bench, so the launcher now runs the TypeScript sources instead of the bundle and the figures from here on would not compare; run the bench again without editing the tree`);
    }
  };
  return {
    name: 'mmry',
    describe: () => `mmry ${safeExec(process.execPath, [launcher, '--version'])}, ${source.label}, Node ${process.version}, ${options.initArgs?.length ? `init ${options.initArgs.join(' ')}` : 'default settings'}`,
    init: async (repo) => {
      await stillBundled();
      await run(process.execPath, cli(['init', repo, ...(options.initArgs ?? [])]), { env });
    },
    backup: async (repo, source, project) => {
      await stillBundled();
      return timed(process.execPath, cli(['backup', repo, source, '--project', project, '--json']), { env });
    },
    restore: async (repo, target, _source, opts) => {
      await stillBundled();
      return { run: await timed(process.execPath, cli(['restore', repo, 'latest', target, '--json']), { env, ...(opts?.okCodes ? { okCodes: opts.okCodes } : {}) }), root: target };
    },
    storeParts: async (repo) => {
      const total = await storeBytes(repo);
      const packs = existsSync(join(repo, 'packs')) ? await storeBytes(join(repo, 'packs')) : 0;
      const parity = existsSync(join(repo, 'parity')) ? await storeBytes(join(repo, 'parity')) : 0;
      return { packs, parity, other: total - packs - parity };
    },
    check: async (repo, readData) => {
      await stillBundled();
      return timed(process.execPath, cli(['verify', repo, ...(readData ? ['--read-data'] : []), '--json']), { env, okCodes: [0, 4] });
    },
    repair: async (repo) => {
      await stillBundled();
      return timed(process.execPath, cli(['repair', repo, '--json']), { env, okCodes: [0, 4] });
    },
  };
}

export function restic(): BackupTool {
  const env = { RESTIC_PASSWORD: PASSWORD, RESTIC_CACHE_DIR: join(HOME, 'restic-cache') };
  return {
    name: 'restic',
    describe: () => `${safeExec('restic', ['version']).split(' compiled')[0]}, default settings (compression auto = zstd default level, local cache)`,
    init: async (repo) => void (await run('restic', ['init', '--repo', repo], { env })),
    backup: (repo, source) => timed('restic', ['--repo', repo, 'backup', source], { env }),
    // restic recreates the source's absolute path under the target.
    restore: async (repo, target, source) => ({ run: await timed('restic', ['--repo', repo, 'restore', 'latest', '--target', target], { env }), root: join(target, source) }),
    // Exit 1: errors were found.
    check: (repo, readData) => timed('restic', ['--repo', repo, 'check', ...(readData ? ['--read-data'] : [])], { env, okCodes: [0, 1] }),
  };
}

export const BORG_COMPRESSION = process.env['MMRY_BENCH_BORG_COMPRESSION'] ?? 'zstd,3';

export function borg(): BackupTool {
  const env = {
    BORG_PASSPHRASE: PASSWORD,
    BORG_BASE_DIR: join(HOME, 'borg'),
    BORG_DISPLAY_PASSPHRASE: 'n',
    BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes',
  };
  // Archive names must be unique; `latest` is the last one this bench created.
  const archives = new Map<string, number>();
  return {
    name: 'borg',
    describe: () => `${safeExec('borg', ['--version'])}, init -e repokey, create --compression ${BORG_COMPRESSION}, other settings default`,
    init: async (repo) => {
      await mkdir(env.BORG_BASE_DIR, { recursive: true });
      await mkdir(dirname(repo), { recursive: true });
      await run('borg', ['init', '-e', 'repokey', repo], { env });
      archives.set(repo, 0);
    },
    backup: (repo, source) => {
      const n = (archives.get(repo) ?? 0) + 1;
      archives.set(repo, n);
      return timed('borg', ['create', '--compression', BORG_COMPRESSION, `${repo}::snap-${n}`, '.'], { env, cwd: source });
    },
    restore: async (repo, target) => ({ run: await timed('borg', ['extract', `${repo}::snap-${archives.get(repo) ?? 1}`], { env, cwd: target }), root: target }),
    // Exit 1: a warning (e.g. damage found), 2: an error.
    check: (repo, readData) => timed('borg', ['check', ...(readData ? ['--verify-data'] : []), repo], { env, okCodes: [0, 1] }),
  };
}

function safeExec(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '?';
  }
}
