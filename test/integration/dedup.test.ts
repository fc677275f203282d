/**
 * Deduplication and change detection: successive releases of a project cost
 * only their changes, the same content under another project costs nothing,
 * and an unchanged re-backup does not read a single file.
 */
import { chmod, chown, cp, mkdir, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backup, restore, Vault } from '../../src-main/engine/vault/index.ts';
import type { BackupSummary } from '../../src-main/engine/vault/index.ts';
import { FAST_OPTIONS, PASSWORD } from './config.ts';
import { contentOf, filesUnder, noise, prng, prose, readTree, runCli, useScratch } from './helpers.ts';

const scratch = useScratch('dedup');
const asRoot = process.getuid?.() === 0;
const NOBODY = 65534;

/** Release 1 of a made-up project: about 4 MiB, half text, half binary, in nested folders. */
async function writeRelease1(src: string): Promise<void> {
  const rnd = prng(1);
  for (const dir of ['src/core', 'src/ui/widgets', 'assets/img', 'docs', 'vendor/lib']) await mkdir(join(src, dir), { recursive: true });
  let n = 0;
  for (const dir of ['src/core', 'src/ui/widgets', 'docs']) {
    for (let i = 0; i < 8; i++) await writeFile(join(src, dir, `file${i}.txt`), prose(++n, 20_000 + Math.floor(rnd() * 150_000)));
  }
  for (const dir of ['assets/img', 'vendor/lib']) {
    for (let i = 0; i < 5; i++) await writeFile(join(src, dir, `blob${i}.bin`), noise(`r1-${dir}-${i}`, 100_000 + Math.floor(rnd() * 300_000)));
  }
}

/** Release k: an edit in the middle of a large binary, a rewritten small text, a new file, a deleted file. */
async function writeRelease(src: string, k: number): Promise<void> {
  const big = join(src, 'vendor/lib', `blob${k % 5}.bin`);
  const data = await readFile(big);
  const at = Math.floor(data.length / 2);
  await writeFile(big, Buffer.concat([data.subarray(0, at), Buffer.from(`release ${k} patch`), data.subarray(at)]));
  await writeFile(join(src, 'src/core', `file${k % 8}.txt`), prose(1000 + k, 3_000));
  await writeFile(join(src, 'docs', `changelog-${k}.md`), prose(2000 + k, 5_000));
  if (k > 2) await rm(join(src, 'docs', `changelog-${k - 1}.md`));
}

/** Hands a whole folder tree to `uid` (the vault must be writable by the user a CLI run drops to). */
async function chownTree(dir: string, uid: number): Promise<void> {
  await chown(dir, uid, uid);
  for (const d of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, d.name);
    if (d.isDirectory()) await chownTree(p, uid);
    else await chown(p, uid, uid);
  }
}

let vault: Vault;
beforeAll(async () => {
  vault = await Vault.create(join(await scratch('vault'), 'v'), PASSWORD, FAST_OPTIONS);
});
afterAll(async () => {
  await vault?.close();
});

describe('deduplication', () => {
  it('stores ten releases of a project for little more than the first', async () => {
    const src = join(await scratch('project'), 'project');
    await writeRelease1(src);
    const summaries: BackupSummary[] = [];
    const expected: Record<string, string>[] = [];
    for (let k = 1; k <= 10; k++) {
      if (k > 1) await writeRelease(src, k);
      summaries.push(await backup(vault, src, { project: 'releases' }));
      expected.push(contentOf(await readTree(src)));
    }
    const first = summaries[0]!;
    expect(first.bytes).toBeGreaterThan(3_000_000);
    const later = summaries.slice(1).reduce((n, s) => n + s.storedBytes, 0);
    expect(later / first.storedBytes).toBeLessThan(0.3);
    // Each later release reads only what changed: two or three files, never the whole project.
    for (const s of summaries.slice(1)) {
      expect(s.filesChanged + s.filesNew).toBeLessThanOrEqual(3);
      expect(s.filesUnmodified).toBeGreaterThan(s.files - 4);
    }
    // Sharing chunks between releases must not blur them: each restores as it was.
    for (const k of [1, 5, 10]) {
      const target = join(await scratch(`release${k}`), 'out');
      const r = await restore(vault, vault.resolveSnapshot(summaries[k - 1]!.snapshotId), target);
      expect(r.problems).toEqual([]);
      expect(contentOf(await readTree(target))).toEqual(expected[k - 1]);
    }
  });

  it('stores the same content under a second project for almost nothing', async () => {
    const a = join(await scratch('twin-a'), 'alpha');
    await writeRelease1(a);
    await writeFile(join(a, 'unique-to-this-test.bin'), noise('twin', 500_000));
    const first = await backup(vault, a, { project: 'alpha' });
    const b = join(await scratch('twin-b'), 'beta');
    await cp(a, b, { recursive: true });
    const second = await backup(vault, b, { project: 'beta' });
    expect(second.project).toBe('beta');
    expect(second.files).toBe(first.files);
    // New to the project, but not to the vault: only folder listings and the manifest are added.
    expect(second.filesNew).toBe(second.files);
    expect(second.storedBytes).toBeLessThan(32 * 1024);
    expect(second.storedBytes).toBeLessThan(first.bytes / 100);
  });
});

describe('change detection', () => {
  it('does not read a single file when nothing changed', async () => {
    const base = await scratch('unchanged');
    await chmod(base, 0o755);
    const src = join(base, 'src');
    await writeRelease1(src);
    const files = await filesUnder(src);
    // As root, make every file unreadable to the user the second backup runs as:
    // if that backup opened any file, it would come back as a "Left out" warning.
    if (asRoot) for (const f of files) await chmod(f, 0o000);
    const vaultDir = join(base, 'vault');
    const v = await Vault.create(vaultDir, PASSWORD, FAST_OPTIONS);
    const first = await backup(v, src, { project: 'unchanged' });
    await v.close();
    expect(first.files).toBe(files.length);
    expect(first.warnings).toEqual([]);
    if (asRoot) await chownTree(vaultDir, NOBODY);

    const run = await runCli(['backup', vaultDir, src, '--json'], asRoot ? { uid: NOBODY, gid: NOBODY } : {});
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const second = JSON.parse(run.stdout) as BackupSummary;
    expect(second.project).toBe('unchanged');
    expect(second.warnings).toEqual([]);
    expect(second.files).toBe(files.length);
    expect(second.filesUnmodified).toBe(files.length);
    expect(second.filesNew + second.filesChanged).toBe(0);
    expect(second.bytes).toBe(first.bytes);
    // Identical trees dedupe; only the new manifest is stored.
    expect(second.storedBytes).toBeLessThan(2048);
  });

  it('notices a file rewritten with the same size, whether or not its mtime moved', async () => {
    const src = join(await scratch('changed'), 'src');
    await writeRelease1(src);
    const b = join(src, 'src/core', 'file2.txt');
    const fixedTime = new Date('2021-06-01T12:00:00.000Z');
    await utimes(b, fixedTime, fixedTime);
    const first = await backup(vault, src, { project: 'changed' });
    const again = await backup(vault, src, { project: 'changed' });
    expect(again.filesUnmodified).toBe(first.files);

    // Same size, new content, new mtime.
    const a = join(src, 'docs', 'file1.txt');
    const aSize = (await stat(a)).size;
    await writeFile(a, prose(4242, aSize));
    await utimes(a, new Date(), new Date(Date.now() + 5_000));
    // Same size, new content, mtime put back as it was (tar, rsync -t): only the ctime tells.
    const bSize = (await stat(b)).size;
    await writeFile(b, prose(4343, bSize));
    await utimes(b, fixedTime, fixedTime);
    expect((await stat(b)).mtimeMs).toBe(fixedTime.getTime());

    const third = await backup(vault, src, { project: 'changed' });
    expect(third.filesChanged).toBe(2);
    expect(third.filesNew).toBe(0);
    expect(third.filesUnmodified).toBe(first.files - 2);
    expect(third.newBytes).toBeGreaterThanOrEqual(aSize);

    // Touched only: re-read, counted as changed, but no new content is stored.
    const c = join(src, 'docs', 'file3.txt');
    await utimes(c, new Date(), new Date(Date.now() + 10_000));
    const fourth = await backup(vault, src, { project: 'changed' });
    expect(fourth.filesChanged).toBe(1);
    expect(fourth.storedBytes).toBeLessThan(8 * 1024);

    const target = join(await scratch('changed-out'), 'out');
    const r = await restore(vault, vault.resolveSnapshot(third.snapshotId), target);
    expect(r.problems).toEqual([]);
    expect(await readFile(join(target, 'docs', 'file1.txt'))).toEqual(await readFile(a));
    expect(await readFile(join(target, 'src/core', 'file2.txt'))).toEqual(await readFile(b));
  });
});
