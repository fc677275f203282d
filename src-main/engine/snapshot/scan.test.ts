import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmod, lstat, mkdir, mkdtemp, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isVaultError } from '../errors.ts';
import { countSource, createScanContext, fileChangedWhileReading, isInside, pathKey, prescan, scanDir, treeEntryOf } from './scan.ts';
import type { ScanOptions, ScannedDir } from './scan.ts';
import { decodeTree, encodeTree } from './tree.ts';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mmry-scan-'));
});

afterEach(async () => {
  await chmod(dir, 0o700).catch(() => {});
  await rm(dir, { recursive: true, force: true });
});

async function scanRoot(options?: ScanOptions): Promise<ScannedDir> {
  const ctx = await createScanContext(dir, options);
  return scanDir(ctx.root, '', ctx);
}

/** Every relative path the scan would record, walking depth-first like the backup. */
async function walk(options?: ScanOptions): Promise<string[]> {
  const ctx = await createScanContext(dir, options);
  const out: string[] = [];
  const visit = async (p: string | Buffer, rel: string): Promise<void> => {
    const listing = await scanDir(p, rel, ctx);
    for (const e of listing.entries) {
      out.push(e.type === 'dir' ? `${e.relPath}/` : e.relPath);
      if (e.type === 'dir') await visit(e.path, e.relPath);
    }
  };
  await visit(ctx.root, '');
  return out;
}

describe('scanDir', () => {
  it('lists entries sorted by name bytes with their lstat details', async () => {
    await writeFile(path.join(dir, 'b.txt'), 'hello');
    await mkdir(path.join(dir, 'A'));
    await writeFile(path.join(dir, 'run.sh'), '#!/bin/sh\n');
    await chmod(path.join(dir, 'run.sh'), 0o4755);
    await utimes(path.join(dir, 'b.txt'), 1_000, 1_600_000_000.5);

    const listing = await scanRoot();
    expect(listing.readable).toBe(true);
    expect(listing.warnings).toEqual([]);
    expect(listing.entries.map((e) => [e.name, e.type])).toEqual([
      ['A', 'dir'],
      ['b.txt', 'file'],
      ['run.sh', 'file'],
    ]);
    const [a, b, run] = listing.entries;
    expect(a!.size).toBe(0);
    expect(b!.size).toBe(5);
    expect(b!.mtimeNs).toBe(1_600_000_000_500_000_000n);
    expect(b!.ino).toBe((await stat(path.join(dir, 'b.txt'), { bigint: true })).ino);
    expect(run!.mode).toBe(0o4755);
  });

  it('lists the same entries, details and warnings with synchronous and asynchronous lstat', async () => {
    await mkdir(path.join(dir, 'sub'));
    await writeFile(path.join(dir, 'sub', 'f.txt'), 'x'.repeat(100));
    await symlink('sub/f.txt', path.join(dir, 'link'));
    execFileSync('mkfifo', [path.join(dir, 'pipe')]);
    const fast = await scanRoot({ syncStat: true });
    const slow = await scanRoot({ syncStat: false });
    expect(fast.entries.map((e) => e.name)).toEqual(['link', 'sub']);
    expect(fast.warnings).toHaveLength(1);
    expect(fast).toEqual(slow);
    expect(await walk({ syncStat: true })).toEqual(await walk({ syncStat: false }));
  });

  it('turns asynchronous after three slow synchronous answers, and lists the same', async () => {
    for (let i = 0; i < 6; i++) await writeFile(path.join(dir, `f${i}`), 'x');
    let t = 0;
    const ctx = await createScanContext(dir, { clock: () => (t += 6) }); // every call appears to take 6 ms: slow
    const listing = await scanDir(ctx.root, '', ctx);
    expect(ctx.calls.fast).toBe(false);
    expect(ctx.calls.slowAnswers).toBe(3);
    expect(listing.entries.map((e) => e.name)).toEqual(['f0', 'f1', 'f2', 'f3', 'f4', 'f5']);
    const fast = await createScanContext(dir, { clock: () => (t += 2) }); // 2 ms a call: fast enough
    await scanDir(fast.root, '', fast);
    expect(fast.calls.fast).toBe(true);
  });

  it('stays synchronous when slow answers are a few among thousands (a descheduled thread, not a slow disk)', async () => {
    for (let i = 0; i < 400; i++) await writeFile(path.join(dir, `f${i}`), 'x');
    let t = 0;
    let reads = 0;
    // The clock is read before and after each call: calls 200, 300 and 400 take 6 ms, the rest none.
    const ctx = await createScanContext(dir, { clock: () => (++reads % 2 === 0 && [400, 600, 800].includes(reads) ? (t += 6) : t) });
    const listing = await scanDir(ctx.root, '', ctx);
    expect([ctx.calls.slowAnswers, ctx.calls.fast, listing.entries.length]).toEqual([3, true, 400]);
  });

  it('keeps NFC and NFD spellings of a name as two entries', async () => {
    const nfc = 'caf\u00e9.txt';
    const nfd = 'cafe\u0301.txt';
    await writeFile(path.join(dir, nfc), 'nfc');
    await writeFile(path.join(dir, nfd), 'nfd');
    const listing = await scanRoot();
    expect(listing.entries.map((e) => e.name).sort()).toEqual([nfc, nfd].sort());
    const byName = new Map(listing.entries.map((e) => [e.name, e]));
    expect(await readFile(byName.get(nfd)!.path, 'utf8')).toBe('nfd');
  });

  it('carries a non-UTF-8 name byte-exact through scan, encodeTree and decodeTree', async () => {
    const rawDir = Buffer.concat([Buffer.from(dir + path.sep), Buffer.from([0x64, 0xe9])]); // "d\xe9", Latin-1
    const rawFile = Buffer.from([0x66, 0xff, 0xfe]);
    await mkdir(rawDir);
    await writeFile(Buffer.concat([rawDir, Buffer.from(path.sep), rawFile]), 'payload');

    const ctx = await createScanContext(dir);
    const root = await scanDir(ctx.root, '', ctx);
    const d = root.entries[0]!;
    expect(Buffer.isBuffer(d.path)).toBe(true);
    expect(Buffer.from(d.nameBytes!)).toEqual(Buffer.from([0x64, 0xe9]));

    const inner = await scanDir(d.path, d.relPath, ctx);
    const f = inner.entries[0]!;
    expect(Buffer.from(f.nameBytes!)).toEqual(rawFile);
    expect(await readFile(f.path, 'utf8')).toBe('payload');

    const decoded = decodeTree(encodeTree([treeEntryOf(f, { content: [new Uint8Array(32)], size: f.size })]));
    expect(Buffer.from(decoded[0]!.nameBytes!)).toEqual(rawFile);
  });

  it('records symlinks without following them, dangling ones included', async () => {
    await mkdir(path.join(dir, 'real'));
    await writeFile(path.join(dir, 'real', 'inside.txt'), 'x');
    await symlink('real', path.join(dir, 'to-dir'));
    await symlink('/nonexistent/target', path.join(dir, 'dangling'));
    await symlink(os.tmpdir(), path.join(dir, 'outside'));

    const all = await walk();
    expect(all).toEqual(['dangling', 'outside', 'real/', 'real/inside.txt', 'to-dir']);
    const listing = await scanRoot();
    const links = listing.entries.filter((e) => e.type === 'symlink');
    expect(links.map((e) => [e.name, e.target, e.size])).toEqual([
      ['dangling', '/nonexistent/target', '/nonexistent/target'.length],
      ['outside', os.tmpdir(), Buffer.byteLength(os.tmpdir())],
      ['to-dir', 'real', 4],
    ]);
  });

  it('reports a FIFO as a warning and leaves it out', async () => {
    execFileSync('mkfifo', [path.join(dir, 'pipe')]);
    await writeFile(path.join(dir, 'z.txt'), '');
    const listing = await scanRoot();
    expect(listing.entries.map((e) => e.name)).toEqual(['z.txt']);
    expect(listing.warnings).toEqual([{ path: 'pipe', message: expect.stringContaining('named pipe') }]);
  });

  it('reports a folder it cannot list and carries on', async () => {
    await mkdir(path.join(dir, 'locked'));
    await writeFile(path.join(dir, 'locked', 'secret'), 's');
    await writeFile(path.join(dir, 'ok.txt'), 'ok');
    const ctx = await createScanContext(dir);
    const root = await scanDir(ctx.root, '', ctx);
    const locked = root.entries.find((e) => e.name === 'locked')!;

    if (process.getuid?.() === 0) {
      // Root reads through mode 000, so make the folder unlistable another
      // way: it disappears between the parent's listing and its own.
      await rm(locked.path, { recursive: true });
    } else {
      await chmod(locked.path, 0o000);
    }
    const listing = await scanDir(locked.path, locked.relPath, ctx);
    expect(listing.readable).toBe(false);
    expect(listing.entries).toEqual([]);
    expect(listing.warnings).toEqual([{ path: 'locked', message: expect.stringContaining('could not be listed') }]);
  });

  it('fails only when the source root itself cannot be listed', async () => {
    const ctx = await createScanContext(dir);
    await rm(dir, { recursive: true });
    await expect(scanDir(ctx.root, '', ctx)).rejects.toSatisfy((err) => isVaultError(err, 'not-found'));
    await expect(createScanContext(dir)).rejects.toSatisfy((err) => isVaultError(err, 'not-found'));
  });

  it('applies gitignore patterns relative to the source root', async () => {
    for (const d of ['node_modules/pkg', 'src/node_modules', 'src/build', 'build', 'logs']) await mkdir(path.join(dir, d), { recursive: true });
    for (const f of ['node_modules/pkg/index.js', 'src/node_modules/x.js', 'src/build/out.o', 'build/out.o', 'src/a.log', 'src/keep.log', 'src/main.ts', 'logs/node_modules']) {
      await writeFile(path.join(dir, f), '');
    }
    const paths = await walk({ exclude: ['node_modules/', '/build', '*.log', '!keep.log'] });
    expect(paths).toEqual(['logs/', 'logs/node_modules', 'src/', 'src/build/', 'src/build/out.o', 'src/keep.log', 'src/main.ts']);
  });

  it('never enters an excluded absolute path such as the vault', async () => {
    await mkdir(path.join(dir, 'vault', 'packs'), { recursive: true });
    await writeFile(path.join(dir, 'vault', 'header'), '');
    await writeFile(path.join(dir, 'file'), '');
    await symlink(dir, path.join(dir, 'self')); // a link to the source must not hide the vault path
    const viaLink = path.join(dir, 'self', 'vault');
    expect(await walk({ excludeAbsolute: [viaLink] })).toEqual(['file', 'self']);
    const listing = await scanRoot({ excludeAbsolute: [path.join(dir, 'vault')] });
    expect(listing.excluded).toBe(1);
  });
});

describe('fileChangedWhileReading', () => {
  it('notices a write between two stats and nothing otherwise', async () => {
    const f = path.join(dir, 'f');
    await writeFile(f, 'one');
    const before = await lstat(f, { bigint: true });
    expect(fileChangedWhileReading(before, await lstat(f, { bigint: true }))).toBe(false);
    await writeFile(f, 'two!');
    expect(fileChangedWhileReading(before, await lstat(f, { bigint: true }))).toBe(true);
  });

  it('takes a scanned entry (its size a number) as the first stat', async () => {
    const f = path.join(dir, 'f');
    await writeFile(f, 'one');
    const [scanned] = (await scanRoot()).entries;
    expect(fileChangedWhileReading(scanned!, await lstat(f, { bigint: true }))).toBe(false);
    await writeFile(f, 'one'); // same size and bytes, but written again: mtime and ctime move
    await utimes(f, new Date(Number(scanned!.mtimeNs / 1_000_000n)), new Date(Number(scanned!.mtimeNs / 1_000_000n)));
    expect(fileChangedWhileReading(scanned!, await lstat(f, { bigint: true }))).toBe(true);
  });
});

describe('isInside', () => {
  it('compares resolved paths on component boundaries', async () => {
    await mkdir(path.join(dir, 'vault', 'sub'), { recursive: true });
    await mkdir(path.join(dir, 'vault2'));
    await symlink(path.join(dir, 'vault'), path.join(dir, 'alias'));
    const vault = path.join(dir, 'vault');
    expect(await isInside(vault, vault)).toBe(true);
    expect(await isInside(path.join(vault, 'sub'), vault)).toBe(true);
    expect(await isInside(path.join(vault, 'sub', 'not-yet', 'x'), vault)).toBe(true);
    expect(await isInside(path.join(dir, 'alias', 'sub'), vault)).toBe(true);
    expect(await isInside(path.join(vault, 'sub', '..', '..', 'vault2'), vault)).toBe(false);
    expect(await isInside(path.join(dir, 'vault2'), vault)).toBe(false);
    expect(await isInside(dir, vault)).toBe(false);
  });
});

describe('countSource', () => {
  it('counts the files and bytes a backup would store: exclusions apply, links are not followed', async () => {
    await mkdir(path.join(dir, 'a', 'b'), { recursive: true });
    await mkdir(path.join(dir, 'node_modules', 'x'), { recursive: true });
    await mkdir(path.join(dir, 'vault'));
    await writeFile(path.join(dir, 'top.txt'), '12345');
    await writeFile(path.join(dir, 'a', 'b', 'deep.bin'), Buffer.alloc(1000));
    await writeFile(path.join(dir, 'a', 'skip.log'), 'not counted');
    await writeFile(path.join(dir, 'node_modules', 'x', 'i.js'), 'not counted');
    await writeFile(path.join(dir, 'vault', 'pack'), 'not counted');
    await symlink(path.join(dir, 'a'), path.join(dir, 'link-to-a'));
    const ctx = await createScanContext(dir, { exclude: ['*.log', 'node_modules/'], excludeAbsolute: [path.join(dir, 'vault')] });
    expect(await countSource(ctx, { cancelled: false })).toEqual({ files: 2, bytes: 1005 });
    expect(await countSource(await createScanContext(dir), { cancelled: false })).toEqual({ files: 5, bytes: 1005 + 11 * 3 });
  });

  it('counts the folders prescan listed from those listings, without listing them again', async () => {
    await mkdir(path.join(dir, 'a'), { recursive: true });
    await writeFile(path.join(dir, 'a', 'f'), '123');
    await writeFile(path.join(dir, 'g'), '45');
    const ctx = await createScanContext(dir);
    await prescan(ctx, { cancelled: false });
    await rm(path.join(dir, 'a'), { recursive: true }); // gone from disk, still in the listings ahead
    expect(await countSource(ctx, { cancelled: false })).toEqual({ files: 2, bytes: 5 });
  });

  it('gives up when cancelled or on a slow file system', async () => {
    for (let i = 0; i < 5; i++) await writeFile(path.join(dir, `f${i}`), 'x');
    expect(await countSource(await createScanContext(dir), { cancelled: true })).toBeNull();
    let t = 0;
    const slow = await createScanContext(dir, { clock: () => (t += 10) }); // every call seems to take 10 ms
    expect(await countSource(slow, { cancelled: false })).toBeNull();
  });

  it('counts on when slow answers are a few among many (a descheduled thread, not a slow disk)', async () => {
    for (let i = 0; i < 1000; i++) await writeFile(path.join(dir, `f${i}`), 'x');
    let t = 0;
    let reads = 0;
    // The clock jumps 6 ms three times, hundreds of calls apart: at most three slow answers in a
    // thousand calls, under the 1% that marks a slow disk.
    const ctx = await createScanContext(dir, { clock: () => ([1000, 1500, 2000].includes(++reads) ? (t += 6) : t) });
    expect(await countSource(ctx, { cancelled: false })).toEqual({ files: 1000, bytes: 1000 });
    expect(reads).toBeGreaterThan(2000);
  });
});

describe('prescan', () => {
  it('lists folders ahead in the walk\'s order, and scanDir hands each listing out once', async () => {
    await mkdir(path.join(dir, 'a', 'b'), { recursive: true });
    await mkdir(path.join(dir, 'c'));
    await writeFile(path.join(dir, 'a', 'b', 'f'), 'x');
    const ctx = await createScanContext(dir);
    await prescan(ctx, { cancelled: false });
    const ahead = new Map(ctx.prescanned);
    expect([...ahead.keys()]).toEqual([ctx.root, path.join(ctx.root, 'a'), path.join(ctx.root, 'a', 'b'), path.join(ctx.root, 'c')].map(pathKey));
    const listing = await scanDir(path.join(ctx.root, 'a'), 'a', ctx);
    expect(listing).toBe(ahead.get(pathKey(path.join(ctx.root, 'a'))));
    expect(listing.entries.map((e) => e.name)).toEqual(['b']);
    const again = await scanDir(path.join(ctx.root, 'a'), 'a', ctx);
    expect(again).not.toBe(listing); // taken once; listed afresh after that
    expect(again.entries.map((e) => e.name)).toEqual(['b']);
  });

  it('stops at its entry bound and when cancelled', async () => {
    for (const d of ['a', 'b', 'c']) await mkdir(path.join(dir, d, 'x'), { recursive: true });
    const bounded = await createScanContext(dir);
    await prescan(bounded, { cancelled: false }, 2);
    expect(bounded.prescanned!.size).toBe(1); // the root's three entries pass the bound of 2
    const cancelled = await createScanContext(dir);
    await prescan(cancelled, { cancelled: true });
    expect(cancelled.prescanned!.size).toBe(0);
  });
});
