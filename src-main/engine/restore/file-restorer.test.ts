import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isVaultError } from '../errors.ts';
import type { VaultErrorKind } from '../errors.ts';
import { FileRestorer, alternativeName, removeStalePartials } from './file-restorer.ts';
import type { FileMeta } from './file-restorer.ts';

let base: string;
let target: string;
let outside: string;

beforeEach(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'mmry-restore-'));
  target = path.join(base, 'target');
  outside = path.join(base, 'outside');
  await mkdir(target);
  await mkdir(outside);
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield Buffer.from(p);
}

/** Chunks that record whether anyone read them. */
function watched(...parts: string[]): { iterable: AsyncIterable<Uint8Array>; read: () => boolean } {
  let read = false;
  return {
    iterable: {
      [Symbol.asyncIterator]: () => {
        read = true;
        return chunks(...parts);
      },
    },
    read: () => read,
  };
}

const meta = (size: number, extra: Partial<FileMeta> = {}): FileMeta => ({ mode: 0o644, mtimeNs: 1_700_000_000_123_456_789n, size, ...extra });

async function rejectsWith(p: Promise<unknown>, kind: VaultErrorKind): Promise<void> {
  await expect(p).rejects.toSatisfy((err) => isVaultError(err, kind));
}

/** Nothing in the target but these names, and no partial files anywhere. */
async function listTarget(): Promise<string[]> {
  return (await readdir(target, { recursive: true })).sort();
}

describe('FileRestorer: never escaping the target', () => {
  it('refuses names that are not plain components', async () => {
    const r = await FileRestorer.open(target);
    for (const rel of [['..', 'x'], ['..'], ['/etc/passwd'], ['a/../../x'], ['a', ''], ['.', 'x'], ['a\0b'], []]) {
      await rejectsWith(r.writeFile(rel, chunks('x'), meta(1), 'overwrite'), 'unsafe-path');
      await rejectsWith(r.createSymlink(rel, 'x', 'overwrite'), 'unsafe-path');
    }
    await rejectsWith(r.createDir(['..'], 0o755, 0n, 'overwrite'), 'unsafe-path');
    expect(await readdir(outside)).toEqual([]);
    expect(await readdir(base)).toEqual(['outside', 'target']);
    expect(await listTarget()).toEqual([]);
  });

  it('never writes through a symlink already in the target', async () => {
    await symlink(outside, path.join(target, 'escape'));
    const r = await FileRestorer.open(target);
    await rejectsWith(r.writeFile(['escape', 'x'], chunks('x'), meta(1), 'overwrite'), 'unsafe-path');
    await rejectsWith(r.createDir(['escape', 'd'], 0o755, 0n, 'overwrite'), 'unsafe-path');
    await rejectsWith(r.createSymlink(['escape', 'l'], '/etc', 'overwrite'), 'unsafe-path');
    expect(await readdir(outside)).toEqual([]);
  });

  it('never writes through a symlink it restored itself', async () => {
    const r = await FileRestorer.open(target);
    expect((await r.createSymlink(['evil'], outside, 'refuse')).action).toBe('written');
    expect((await r.createSymlink(['up'], '..', 'refuse')).action).toBe('written');
    await rejectsWith(r.writeFile(['evil', 'x'], chunks('x'), meta(1), 'overwrite'), 'unsafe-path');
    await rejectsWith(r.writeFile(['up', 'outside', 'x'], chunks('x'), meta(1), 'overwrite'), 'unsafe-path');
    await rejectsWith(r.createDir(['evil', 'd'], 0o755, 0n, 'keep-both'), 'unsafe-path');
    expect(await readdir(outside)).toEqual([]);
    expect(await readlink(path.join(target, 'evil'))).toBe(outside);
  });

  it('replaces a symlink at the destination itself instead of following it', async () => {
    await writeFile(path.join(outside, 'victim'), 'keep me');
    await symlink(path.join(outside, 'victim'), path.join(target, 'f'));
    const r = await FileRestorer.open(target);
    expect((await r.writeFile(['f'], chunks('new'), meta(3), 'overwrite')).action).toBe('replaced');
    expect((await lstat(path.join(target, 'f'))).isFile()).toBe(true);
    expect(await readFile(path.join(outside, 'victim'), 'utf8')).toBe('keep me');
  });
});

describe('FileRestorer: conflict policies', () => {
  beforeEach(async () => {
    await writeFile(path.join(target, 'f.txt'), 'old');
  });

  it('refuse fails without reading any content', async () => {
    const r = await FileRestorer.open(target);
    const w = watched('new');
    await rejectsWith(r.writeFile(['f.txt'], w.iterable, meta(3), 'refuse'), 'target-exists');
    expect(w.read()).toBe(false);
    expect(await readFile(path.join(target, 'f.txt'), 'utf8')).toBe('old');
    expect((await r.writeFile(['g.txt'], chunks('new'), meta(3), 'refuse')).action).toBe('written');
  });

  it('skip leaves the existing file alone', async () => {
    const r = await FileRestorer.open(target);
    const w = watched('new');
    expect(await r.writeFile(['f.txt'], w.iterable, meta(3), 'skip')).toEqual({ action: 'skipped', path: path.join(target, 'f.txt') });
    expect(w.read()).toBe(false);
    expect(await readFile(path.join(target, 'f.txt'), 'utf8')).toBe('old');
  });

  it('overwrite replaces the content', async () => {
    const r = await FileRestorer.open(target);
    expect((await r.writeFile(['f.txt'], chunks('ne', 'w!'), meta(4), 'overwrite')).action).toBe('replaced');
    expect(await readFile(path.join(target, 'f.txt'), 'utf8')).toBe('new!');
    expect(await listTarget()).toEqual(['f.txt']);
  });

  it('keep-both picks free "(restored n)" names', async () => {
    await writeFile(path.join(target, '.bashrc'), 'old');
    const r = await FileRestorer.open(target);
    const first = await r.writeFile(['f.txt'], chunks('two'), meta(3), 'keep-both');
    const second = await r.writeFile(['f.txt'], chunks('three'), meta(5), 'keep-both');
    const dot = await r.writeFile(['.bashrc'], chunks('x'), meta(1), 'keep-both');
    expect([first, second, dot]).toEqual([
      { action: 'renamed', path: path.join(target, 'f (restored 2).txt') },
      { action: 'renamed', path: path.join(target, 'f (restored 3).txt') },
      { action: 'renamed', path: path.join(target, '.bashrc (restored 2)') },
    ]);
    expect(await readFile(path.join(target, 'f (restored 3).txt'), 'utf8')).toBe('three');
    expect(await readFile(path.join(target, 'f.txt'), 'utf8')).toBe('old');
  });

  it('never replaces a folder with a file', async () => {
    await mkdir(path.join(target, 'd'));
    const r = await FileRestorer.open(target);
    await rejectsWith(r.writeFile(['d'], chunks('x'), meta(1), 'overwrite'), 'target-exists');
    expect((await r.writeFile(['d'], chunks('x'), meta(1), 'keep-both')).path).toBe(path.join(target, 'd (restored 2)'));
  });

  it('applies policies to folders and restores into a renamed one', async () => {
    const r = await FileRestorer.open(target);
    expect((await r.createDir(['f.txt'], 0o755, 0n, 'keep-both')).path).toBe(path.join(target, 'f.txt (restored 2)'));
    await r.writeFile(['f.txt', 'inner'], chunks('in'), meta(2), 'refuse');
    expect(await readFile(path.join(target, 'f.txt (restored 2)', 'inner'), 'utf8')).toBe('in');

    await rejectsWith(r.createDir(['f.txt'], 0o755, 0n, 'refuse'), 'target-exists');

    const r2 = await FileRestorer.open(target);
    expect((await r2.createDir(['f.txt'], 0o755, 0n, 'skip')).action).toBe('skipped');
    expect((await r2.writeFile(['f.txt', 'inner'], chunks('in'), meta(2), 'overwrite')).action).toBe('skipped');

    const r3 = await FileRestorer.open(target);
    expect((await r3.createDir(['f.txt'], 0o755, 0n, 'overwrite')).action).toBe('replaced');
    expect((await stat(path.join(target, 'f.txt'))).isDirectory()).toBe(true);
  });

  it('applies policies to symlinks', async () => {
    const r = await FileRestorer.open(target);
    await rejectsWith(r.createSymlink(['f.txt'], 'x', 'refuse'), 'target-exists');
    expect((await r.createSymlink(['f.txt'], 'x', 'skip')).action).toBe('skipped');
    expect((await r.createSymlink(['f.txt'], 'x', 'keep-both')).path).toBe(path.join(target, 'f (restored 2).txt'));
    expect((await r.createSymlink(['f.txt'], 'y', 'overwrite')).action).toBe('replaced');
    expect(await readlink(path.join(target, 'f.txt'))).toBe('y');
    expect(await listTarget()).toEqual(['f (restored 2).txt', 'f.txt']);
  });
});

describe('FileRestorer: content and metadata', () => {
  it('writes nothing when the chunks do not add up to the recorded size', async () => {
    const r = await FileRestorer.open(target);
    await rejectsWith(r.writeFile(['short'], chunks('abc'), meta(4), 'overwrite'), 'damaged-data');
    await rejectsWith(r.writeFile(['long'], chunks('abc', 'de'), meta(4), 'overwrite'), 'damaged-data');
    await writeFile(path.join(target, 'existing'), 'old');
    await rejectsWith(r.writeFile(['existing'], chunks('abc'), meta(4), 'overwrite'), 'damaged-data');
    expect(await readFile(path.join(target, 'existing'), 'utf8')).toBe('old');
    expect(await listTarget()).toEqual(['existing']);
  });

  it('cleans up when the content source fails or the restore is cancelled', async () => {
    const controller = new AbortController();
    const r = await FileRestorer.open(target, { signal: controller.signal });
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('partial');
      throw new Error('blob fetch failed');
    }
    await expect(r.writeFile(['a'], failing(), meta(100), 'overwrite')).rejects.toThrow();
    async function* cancelling(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('partial');
      controller.abort();
      yield Buffer.from('more');
    }
    await rejectsWith(r.writeFile(['b'], cancelling(), meta(11), 'overwrite'), 'cancelled');
    await rejectsWith(r.createDir(['c'], 0o755, 0n, 'overwrite'), 'cancelled');
    expect(await r.removePartials()).toBe(0);
    expect(await listTarget()).toEqual([]);
  });

  it('restores modes, special bits and nanosecond mtimes to about a microsecond', async () => {
    const r = await FileRestorer.open(target);
    const mtimeNs = 1_700_000_000_123_456_789n;
    await r.createDir(['ro'], 0o555, 1_600_000_000_987_654_321n, 'refuse');
    await r.writeFile(['ro', 'tool'], chunks('#!/bin/sh\n'), meta(10, { mode: 0o4750, mtimeNs }), 'refuse');
    await r.writeFile(['ro', 'empty'], chunks(), meta(0, { mode: 0o400, mtimeNs: -1_000_000_500n }), 'refuse');
    await r.createSymlink(['ro', 'link'], 'tool', 'refuse', 1_500_000_000_000_000_001n);
    await r.finishDir(['ro']);

    const tool = await stat(path.join(target, 'ro', 'tool'), { bigint: true });
    expect(Number(tool.mode & 0o7777n)).toBe(0o4750);
    expect(Math.abs(Number(tool.mtimeNs - mtimeNs))).toBeLessThan(1000);
    const empty = await stat(path.join(target, 'ro', 'empty'), { bigint: true });
    expect(Number(empty.mode & 0o7777n)).toBe(0o400);
    expect(Math.abs(Number(empty.mtimeNs + 1_000_000_500n))).toBeLessThan(1_000_000); // before 1970: milliseconds
    const link = await lstat(path.join(target, 'ro', 'link'), { bigint: true });
    expect(Math.abs(Number(link.mtimeNs - 1_500_000_000_000_000_001n))).toBeLessThan(1000);
    const dir = await stat(path.join(target, 'ro'), { bigint: true });
    expect(Number(dir.mode & 0o7777n)).toBe(0o555);
    expect(Math.abs(Number(dir.mtimeNs - 1_600_000_000_987_654_321n))).toBeLessThan(1000);
  });

  describe('finishDirs', () => {
    /** Folders a/, a/b/, a/b/c/, a/d/ and an existing kept/, made through `r`, then finished deepest first. */
    async function nested(r: FileRestorer, beforeFinish = () => {}): Promise<void> {
      await mkdir(path.join(target, 'kept'), { mode: 0o750 });
      await r.createDir(['a'], 0o751, 1_500_000_000_000_000_000n, 'keep-both');
      await r.createDir(['a', 'b'], 0o710, 1_400_000_000_000_000_000n, 'keep-both');
      await r.createDir(['a', 'd'], 0o705, 1_400_000_000_000_000_000n, 'keep-both');
      await r.createDir(['a', 'b', 'c'], 0o555, 1_300_000_000_123_456_789n, 'keep-both');
      expect((await r.createDir(['kept'], 0o700, 0n, 'keep-both')).action).toBe('merged');
      beforeFinish();
      // Leaves first: a/b/c and a/d share the first level.
      await r.finishDirs([[['a', 'b', 'c'], ['a', 'd']], [['a', 'b']], [['a'], ['kept']]]);
    }

    async function expectFinished(): Promise<void> {
      const st = async (...p: string[]) => stat(path.join(target, ...p), { bigint: true });
      expect([(await st('a')).mode & 0o7777n, (await st('a', 'b')).mode & 0o7777n, (await st('a', 'b', 'c')).mode & 0o7777n, (await st('a', 'd')).mode & 0o7777n]).toEqual([0o751n, 0o710n, 0o555n, 0o705n]);
      expect((await st('a')).mtimeNs).toBe(1_500_000_000_000_000_000n);
      expect(Math.abs(Number((await st('a', 'b', 'c')).mtimeNs - 1_300_000_000_123_456_789n))).toBeLessThan(1000);
      // A folder that was there already keeps its own mode.
      expect((await st('kept')).mode & 0o7777n).toBe(0o750n);
    }

    it('gives every folder its mode and mtime, and leaves existing ones alone', async () => {
      await nested(await FileRestorer.open(target));
      await expectFinished();
    });

    it('makes the rest of the folders asynchronously once calls answer slowly, with the same result', async () => {
      let t = 0;
      // Every reading of the clock is 6 ms later: each synchronous call looks slow, and after three the rest go asynchronously.
      await nested(await FileRestorer.open(target, { clock: () => (t += 6) }));
      await expectFinished();
    });

    it('finishes the rest asynchronously once calls answer slowly mid-level, with the same result', async () => {
      let t = 0;
      let slow = false;
      const r = await FileRestorer.open(target, { clock: () => (t += slow ? 6 : 0) });
      // Fast while the folders are made (five calls); then the finishing calls look slow: three, the rule's
      // allowance, and more than 1% of the calls, so the third folder of a level of four goes asynchronously.
      for (const name of ['a', 'b', 'c', 'd']) await r.createDir([name], 0o751, 1_500_000_000_000_000_000n, 'refuse');
      await r.createDir(['a', 'x'], 0o705, 1_400_000_000_000_000_000n, 'refuse');
      slow = true;
      await r.finishDirs([[['a', 'x']], [['a'], ['b'], ['c'], ['d']]]);
      for (const name of ['a', 'b', 'c', 'd']) {
        const st = await stat(path.join(target, name), { bigint: true });
        expect([st.mode & 0o7777n, st.mtimeNs]).toEqual([0o751n, 1_500_000_000_000_000_000n]);
      }
      expect((await stat(path.join(target, 'a', 'x'))).mode & 0o7777).toBe(0o705);
    });

    it('refuses a folder that was swapped for a symlink, and changes nothing where it points', async () => {
      const r = await FileRestorer.open(target);
      await r.createDir(['d'], 0o555, 0n, 'refuse');
      await rm(path.join(target, 'd'), { recursive: true });
      await symlink(outside, path.join(target, 'd'));
      const before = (await stat(outside)).mode;
      await rejectsWith(r.finishDirs([[['d']]]), 'not-found'); // ENOTDIR: opened as a folder, without following links
      expect((await stat(outside)).mode).toBe(before);
    });
  });

  it('leaves an existing folder as it was unless overwriting', async () => {
    await mkdir(path.join(target, 'kept'), { mode: 0o750 });
    const r = await FileRestorer.open(target);
    expect((await r.createDir(['kept'], 0o700, 0n, 'keep-both')).action).toBe('merged');
    await r.finishDir(['kept']);
    expect((await stat(path.join(target, 'kept'))).mode & 0o7777).toBe(0o750);
    await r.createDir(['kept'], 0o700, 0n, 'overwrite');
    await r.finishDir(['kept']);
    expect((await stat(path.join(target, 'kept'))).mode & 0o7777).toBe(0o700);
  });

  it('restores a non-UTF-8 name byte-exact and creates missing parents', async () => {
    const raw = Buffer.from([0x66, 0xff, 0x2e, 0x74]);
    const r = await FileRestorer.open(target);
    const out = await r.writeFile(['a', 'b', raw], chunks('x'), meta(1), 'refuse');
    expect(out.path).toEqual(Buffer.concat([Buffer.from(path.join(target, 'a', 'b') + path.sep), raw]));
    const names = await readdir(path.join(target, 'a', 'b'), { encoding: 'buffer' });
    expect(names).toEqual([raw]);
    const again = await r.writeFile(['a', 'b', raw], chunks('y'), meta(1), 'keep-both');
    expect(Buffer.isBuffer(again.path)).toBe(true);
    expect(again.path.toString('latin1')).toContain(' (restored 2)');
  });

  it('opens a missing restore folder by creating it and records the root folder times', async () => {
    const fresh = path.join(base, 'new', 'deeper');
    const r = await FileRestorer.open(fresh);
    expect((await r.createDir([], 0o711, 1_000_000_000_000_000_000n, 'refuse')).action).toBe('written');
    await r.finishDir([]);
    const st = await stat(fresh);
    expect(st.mode & 0o7777).toBe(0o711);
    expect(st.mtimeMs).toBe(1_000_000_000_000);
  });
});

describe('removeStalePartials', () => {
  it('removes only partial files, without following links', async () => {
    await mkdir(path.join(target, 'sub'));
    await writeFile(path.join(target, '.a.txt.mmry-partial-0123456789ab'), '');
    await writeFile(path.join(target, 'sub', '.b.mmry-partial-abcdef012345'), '');
    await writeFile(path.join(target, 'keep.mmry-partial-0123456789ab'), ''); // no leading dot: not ours
    await writeFile(path.join(outside, '.c.mmry-partial-0123456789ab'), '');
    await symlink(outside, path.join(target, 'link'));
    expect(await removeStalePartials(target)).toBe(2);
    expect((await readdir(target)).sort()).toEqual(['keep.mmry-partial-0123456789ab', 'link', 'sub']);
    expect(await readdir(path.join(target, 'sub'))).toEqual([]);
    expect(await readdir(outside)).toEqual(['.c.mmry-partial-0123456789ab']);
  });
});

describe('alternativeName', () => {
  it('keeps names within 255 bytes and UTF-8 whole', () => {
    expect(alternativeName('archive.tar.gz', 2, true)).toBe('archive.tar (restored 2).gz');
    expect(alternativeName('my.project', 2, false)).toBe('my.project (restored 2)');
    const long = alternativeName('é'.repeat(127) + '.txt', 12, true);
    expect(typeof long).toBe('string');
    expect(Buffer.byteLength(long as string)).toBeLessThanOrEqual(255);
    expect(long).toMatch(/é \(restored 12\)\.txt$/);
  });
});
