/**
 * File history against a real vault: five snapshots of a small folder in
 * which one file is touched, changed, deleted and brought back.
 */
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isVaultError } from '../errors.ts';
import { backup, fileHistory, Vault } from './index.ts';

describe('file history over a real vault', () => {
  const root = mkdtempSync(join(tmpdir(), 'mmry-history-'));
  const source = join(root, 'notes');
  const ids: string[] = [];
  let vault: Vault;

  beforeAll(async () => {
    mkdirSync(join(source, 'dir'), { recursive: true });
    vault = await Vault.create(join(root, 'vault'), 'correct horse', { kdf: { memoryKiB: 8, passes: 1, parallelism: 1 }, threads: 1 });
    const snap = async () => ids.push((await backup(vault, source)).snapshotId);
    writeFileSync(join(source, 'a.txt'), 'one\n');
    writeFileSync(join(source, 'dir', 'x.txt'), 'x\n');
    await snap(); // 1: a = one
    utimesSync(join(source, 'a.txt'), new Date(2001, 0, 1), new Date(2001, 0, 1));
    await snap(); // 2: a touched, same content
    writeFileSync(join(source, 'a.txt'), 'two, longer\n');
    writeFileSync(join(source, 'dir', 'x.txt'), 'x changed\n');
    await snap(); // 3: a = two
    unlinkSync(join(source, 'a.txt'));
    await snap(); // 4: no a
    writeFileSync(join(source, 'a.txt'), 'one\n');
    await snap(); // 5: a = one again
  });
  afterAll(async () => {
    await vault.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('groups unchanged snapshots into one version and tells changes, gaps and returns apart', async () => {
    const h = await fileHistory(vault, 'notes', 'a.txt');
    expect(h.snapshotsChecked).toBe(5);
    expect(h.inLatest).toBe(true);
    expect(h.versions.map((v) => ({ n: v.number, change: v.change, size: v.size, first: v.snapshotId, last: v.lastSnapshotId, count: v.snapshots, sameAs: v.sameAs }))).toEqual([
      { n: 1, change: 'added', size: 4, first: ids[0], last: ids[1], count: 2, sameAs: null },
      { n: 2, change: 'changed', size: 12, first: ids[2], last: ids[2], count: 1, sameAs: null },
      { n: 3, change: 'returned', size: 4, first: ids[4], last: ids[4], count: 1, sameAs: 1 },
    ]);
  });

  it('follows a file inside a folder, and a folder itself', async () => {
    const x = await fileHistory(vault, 'notes', '/dir/x.txt');
    expect(x.path).toBe('dir/x.txt');
    expect(x.versions.map((v) => [v.change, v.snapshots])).toEqual([
      ['added', 2],
      ['changed', 3],
    ]);
    const dir = await fileHistory(vault, 'notes', 'dir');
    expect(dir.versions.map((v) => [v.type, v.snapshots])).toEqual([
      ['dir', 2],
      ['dir', 3],
    ]);
  });

  it('answers an empty history for a path no snapshot holds', async () => {
    const h = await fileHistory(vault, 'notes', 'dir/nope.txt');
    expect(h.versions).toEqual([]);
    expect(h.inLatest).toBe(false);
    expect((await fileHistory(vault, 'notes', 'a.txt/below')).versions).toEqual([]);
  });

  it('refuses an unknown project, the root and dot segments with a clear sentence', async () => {
    const kindOf = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => (isVaultError(e) ? `${e.kind}: ${e.message}` : String(e)));
    expect(await kindOf(fileHistory(vault, 'nope', 'a.txt'))).toBe("not-found: There is no project named 'nope'.");
    expect(await kindOf(fileHistory(vault, 'notes', '/'))).toMatch(/^invalid-argument: .*not its root/);
    expect(await kindOf(fileHistory(vault, 'notes', 'dir/../a.txt'))).toMatch(/^invalid-argument: .*'\.\.'/);
  });
});
