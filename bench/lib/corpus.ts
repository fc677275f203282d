/**
 * Benchmark corpora, built from real public data and cached under
 * bench/.work/corpus/ (rebuilt only when their recipe changes).
 *
 * - project-full / project-small: a project folder. `app/` is an `npm ci`
 *   of bench/corpus/<name>/package.json + package-lock.json (pinned), then
 *   `assets/` holds already-compressed files copied from /usr/share (.gz,
 *   .png, .jpg), and `odd/` holds the entries backup tools trip on: empty
 *   files and folder, symlinks (to a file, a folder, nowhere, an absolute
 *   path), deep nesting, long and non-ASCII names, zeros, random bytes,
 *   unusual modes.
 * - releases-<pkg>: ten consecutive releases of one npm package, each
 *   extracted from its `npm pack` tarball into its own folder.
 *
 * Each corpus has a meta file beside it (outside the folder, so it is not
 * backed up) with its recipe stamp, sizes and file list digest.
 */
import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, readFile, rename, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeTree, treeSize } from './fstree.ts';
import type { TreeSize } from './fstree.ts';
import { run } from './proc.ts';

export const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));
export const WORK_DIR = join(BENCH_DIR, '.work');
const CORPUS_DIR = join(WORK_DIR, 'corpus');
const TARBALLS_DIR = join(WORK_DIR, 'cache', 'tarballs');

/** Bump when the way a corpus is assembled changes: cached corpora are rebuilt. */
const RECIPE_VERSION = 1;

export interface Corpus extends TreeSize {
  name: string;
  root: string;
  description: string;
}

export interface ReleasesCorpus extends TreeSize {
  name: string;
  root: string;
  packageName: string;
  /** In release order, each with its own folder. */
  releases: { version: string; dir: string }[];
}

export type ProjectSize = 'full' | 'small';

interface AssetBudget {
  imageBytes: number;
  gzBytes: number;
  minImageBytes: number;
  minGzBytes: number;
}

const ASSET_BUDGETS: Record<ProjectSize, AssetBudget> = {
  full: { imageBytes: 6 * 1024 * 1024, gzBytes: 20 * 1024 * 1024, minImageBytes: 8 * 1024, minGzBytes: 64 * 1024 },
  small: { imageBytes: 1024 * 1024, gzBytes: 3 * 1024 * 1024, minImageBytes: 8 * 1024, minGzBytes: 64 * 1024 },
};

/** The "project" corpus: npm packages, compressed OS files and odd entries. */
export async function projectCorpus(size: ProjectSize, log: (line: string) => void): Promise<Corpus> {
  const name = `project-${size}`;
  const spec = join(BENCH_DIR, 'corpus', name);
  const budget = ASSET_BUDGETS[size];
  const assets = pickAssets(budget);
  const stamp = digest([RECIPE_VERSION, await readFile(join(spec, 'package.json'), 'utf8'), await readFile(join(spec, 'package-lock.json'), 'utf8'), budget, assets]);
  const description = `npm ci of bench/corpus/${name} (pinned lockfile), ${assets.length} compressed OS files (/usr/share .gz/.png/.jpg), odd entries`;
  return cached(name, stamp, description, log, async (root) => {
    const app = join(root, 'app');
    await mkdir(app, { recursive: true });
    await copyFile(join(spec, 'package.json'), join(app, 'package.json'));
    await copyFile(join(spec, 'package-lock.json'), join(app, 'package-lock.json'));
    log(`  npm ci into ${app} (cached by npm after the first time)`);
    await run('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--omit=optional', '--loglevel=error'], { cwd: app });
    for (const src of assets) {
      const dest = join(root, 'assets', src.replace(/^\/usr\/share\//, ''));
      await mkdir(dirname(dest), { recursive: true });
      await copyFile(src, dest);
    }
    await makeOddEntries(join(root, 'odd'));
  });
}

/** Ten consecutive releases of one package: the dedup-across-versions case. */
export async function releasesCorpus(packageName: string, versions: string[], log: (line: string) => void): Promise<ReleasesCorpus> {
  const name = `releases-${packageName.replace(/[@/]/g, '_')}-${versions.length}`;
  const stamp = digest([RECIPE_VERSION, packageName, versions]);
  const corpus = await cached(name, stamp, `${versions.length} releases of ${packageName} (${versions[0]} … ${versions.at(-1)}) from npm pack`, log, async (root) => {
    await mkdir(TARBALLS_DIR, { recursive: true });
    for (const version of versions) {
      const tarball = await packTarball(packageName, version, log);
      const dir = join(root, version);
      await mkdir(dir, { recursive: true });
      await run('tar', ['-xzf', tarball, '-C', dir, '--strip-components=1', '--no-same-owner']);
    }
  });
  return { ...corpus, packageName, releases: versions.map((version) => ({ version, dir: join(corpus.root, version) })) };
}

/** Builds a corpus into a temporary folder and renames it into place, unless a build with the same stamp exists. */
async function cached(name: string, stamp: string, description: string, log: (line: string) => void, build: (root: string) => Promise<void>): Promise<Corpus> {
  const root = join(CORPUS_DIR, name);
  const metaFile = join(CORPUS_DIR, `${name}.meta.json`);
  try {
    const meta = JSON.parse(await readFile(metaFile, 'utf8')) as { stamp: string; size: TreeSize };
    if (meta.stamp === stamp && (await stat(root)).isDirectory()) return { name, root, description, ...meta.size };
  } catch {
    // No corpus yet, or an unreadable meta file: build it.
  }
  log(`building corpus ${name} …`);
  const building = `${root}.building`;
  await removeTree(building);
  await removeTree(root);
  await mkdir(building, { recursive: true });
  await build(building);
  await rename(building, root);
  const size = await treeSize(root);
  await writeFile(metaFile, `${JSON.stringify({ stamp, description, size }, null, 2)}\n`);
  return { name, root, description, ...size };
}

async function packTarball(packageName: string, version: string, log: (line: string) => void): Promise<string> {
  const file = join(TARBALLS_DIR, `${packageName.replace(/^@/, '').replace(/\//g, '-')}-${version}.tgz`);
  try {
    await stat(file);
    return file;
  } catch {
    log(`  npm pack ${packageName}@${version}`);
    await run('npm', ['pack', `${packageName}@${version}`, '--pack-destination', TARBALLS_DIR, '--loglevel=error'], { cwd: TARBALLS_DIR });
    await stat(file);
    return file;
  }
}

/**
 * Already-compressed files from /usr/share, chosen deterministically (path
 * order, a size floor so a few hundred files carry the bytes). The choice
 * depends on the machine image; its list is part of the stamp.
 */
function pickAssets(budget: AssetBudget): string[] {
  const found = spawnSync('find', ['/usr/share', '-type', 'f', '(', '-iname', '*.gz', '-o', '-iname', '*.png', '-o', '-iname', '*.jpg', '-o', '-iname', '*.jpeg', ')', '-printf', '%s\t%p\n'], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const files = found.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const tab = line.indexOf('\t');
      return { size: Number(line.slice(0, tab)), path: line.slice(tab + 1) };
    })
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const chosen: string[] = [];
  let images = 0;
  let gz = 0;
  for (const f of files) {
    if (/\.gz$/i.test(f.path)) {
      if (f.size >= budget.minGzBytes && gz + f.size <= budget.gzBytes) {
        gz += f.size;
        chosen.push(f.path);
      }
    } else if (f.size >= budget.minImageBytes && images + f.size <= budget.imageBytes) {
      images += f.size;
      chosen.push(f.path);
    }
  }
  return chosen;
}

/** Entries that backup tools get wrong: every one must come back from a restore. */
async function makeOddEntries(odd: string): Promise<void> {
  await mkdir(join(odd, 'empty-dir'), { recursive: true });
  await writeFile(join(odd, 'empty.txt'), '');
  await writeFile(join(odd, '.hidden-empty'), '');
  await writeFile(join(odd, 'name with spaces.txt'), 'spaces\n');
  await writeFile(join(odd, 'unicode-café-日本語-ñ.txt'), 'unicode name\n');
  await writeFile(join(odd, `${'long-name-'.repeat(20)}end.txt`), 'a 204-character name\n');
  let deep = join(odd, 'deep');
  for (let i = 1; i <= 40; i++) deep = join(deep, `level-${String(i).padStart(2, '0')}`);
  await mkdir(deep, { recursive: true });
  await writeFile(join(deep, 'bottom.txt'), 'forty folders down\n');
  await writeFile(join(odd, 'zeros.bin'), Buffer.alloc(8 * 1024 * 1024));
  await writeFile(join(odd, 'random.bin'), seededBytes(4 * 1024 * 1024, 0x6d6d7279));
  await writeFile(join(odd, 'run.sh'), '#!/bin/sh\necho hello\n');
  await chmod(join(odd, 'run.sh'), 0o755);
  await writeFile(join(odd, 'private.txt'), 'mode 600\n');
  await chmod(join(odd, 'private.txt'), 0o600);
  await symlink('../app/package.json', join(odd, 'link-to-file'));
  await symlink('../app/node_modules/lodash', join(odd, 'link-to-dir'));
  await symlink('does-not-exist', join(odd, 'link-dangling'));
  await symlink('/usr/share/common-licenses', join(odd, 'link-absolute'));
  // A fixed, old mtime on one file: restores must carry times, not "now".
  const old = new Date('2001-02-03T04:05:06Z');
  await utimes(join(odd, 'private.txt'), old, old);
}

/** Deterministic incompressible bytes (xorshift32). */
function seededBytes(length: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out.writeUInt32LE(x, i);
  }
  return out;
}

function digest(parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}
