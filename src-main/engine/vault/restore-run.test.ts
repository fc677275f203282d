/**
 * A whole-snapshot restore of many files through the workers (planned while
 * it is written: folders as the walk reaches them, files in pack order,
 * batches queued while the next window is gathered): everything lands
 * byte-exact with its folders' modes, and a cancel in the middle stops it
 * with 'cancelled' and leaves no temporary file behind. The plan's walk
 * holds a bounded number of listings ahead and keeps tree order.
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isVaultError } from '../errors.ts';
import { backup, restore, Vault } from './index.ts';
import { ListingsAhead, walkListings } from './restore-run.ts';

const KDF = { memoryKiB: 8, passes: 1, parallelism: 1 };
const PASSWORD = 'restore run';
const root = mkdtempSync(join(tmpdir(), 'mmry-restore-run-'));
const source = join(root, 'proj');
const vaultDir = join(root, 'vault');
const FILES = 1500;
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Runs `fn` on the shared vault, opened with two worker threads, and closes it. */
async function withVault<T>(fn: (vault: Vault) => Promise<T>): Promise<T> {
  const vault = await Vault.open(vaultDir, PASSWORD, { threads: 2 });
  try {
    return await fn(vault);
  } finally {
    await vault.close();
  }
}

function walk(dir: string, out: string[] = [], rel = ''): string[] {
  for (const name of readdirSync(dir).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    out.push(r);
    if (statSync(join(dir, name)).isDirectory()) walk(join(dir, name), out, r);
  }
  return out;
}

beforeAll(async () => {
  // Three levels of folders and files of several types, so bundles of each type spread over many folders.
  for (let i = 0; i < FILES; i++) {
    const dir = join(source, `a${i % 7}`, `b${i % 13}`);
    mkdirSync(dir, { recursive: true });
    const ext = ['js', 'json', 'md', 'css'][i % 4];
    writeFileSync(join(dir, `f${i}.${ext}`), `file ${i} `.repeat(20 + (i % 50)));
  }
  chmodSync(join(source, 'a3', 'b5'), 0o750);
  const v = await Vault.create(vaultDir, PASSWORD, { kdf: KDF, threads: 2 });
  await backup(v, source);
  await v.close();
});

describe('restore of a whole snapshot', () => {
  it('writes every file and folder exactly, whatever order the workers write them in', async () => {
    await withVault(async (vault) => {
      const target = join(root, 'out');
      const r = await restore(vault, vault.resolveSnapshot('latest'), target);
      expect(r.files).toBe(FILES);
      expect(r.problems).toEqual([]);
      expect(walk(target)).toEqual(walk(source));
      for (const rel of walk(source)) {
        const st = statSync(join(source, rel));
        expect(statSync(join(target, rel)).mode, rel).toBe(st.mode);
        if (st.isFile()) expect(readFileSync(join(target, rel)).equals(readFileSync(join(source, rel))), rel).toBe(true);
      }
    });
  });

  it('stops on cancel with "cancelled" and leaves no temporary files', async () => {
    await withVault(async (vault) => {
      const target = join(root, 'cancelled');
      const controller = new AbortController();
      const err = await restore(vault, vault.resolveSnapshot('latest'), target, {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.files >= 200) controller.abort();
        },
      }).catch((e: unknown) => e);
      expect(isVaultError(err) && err.kind).toBe('cancelled');
      const left = walk(target);
      expect(left.filter((p) => p.includes('.mmry-partial-'))).toEqual([]);
      expect(left.filter((p) => /\.(js|json|md|css)$/.test(p)).length).toBeLessThan(FILES);
    });
  });

  it('reports the totals of the snapshot from the first progress on', async () => {
    await withVault(async (vault) => {
      const seen: { filesTotal: number; bytesTotal: number; files: number }[] = [];
      const r = await restore(vault, vault.resolveSnapshot('latest'), join(root, 'progress'), { onProgress: (p) => seen.push(p) });
      expect(seen.length).toBeGreaterThan(1);
      expect(seen[0]!.files).toBeLessThan(FILES);
      expect(new Set(seen.map((p) => `${p.filesTotal}/${p.bytesTotal}`))).toEqual(new Set([`${FILES}/${r.bytes}`]));
    });
  });
});

describe('the plan of a whole snapshot', () => {
  it('walks it depth first in tree order, holding no more listings ahead than its limit', async () => {
    await withVault(async (vault) => {
      for (const limit of [1, 5, 2048]) {
        const ahead = new ListingsAhead(vault, { limit });
        const seen: string[] = [];
        let mostHeld = 0;
        for await (const p of walkListings(ahead, vault.resolveSnapshot('latest').treeId, [], '')) {
          seen.push(p.display);
          mostHeld = Math.max(mostHeld, ahead.held);
        }
        await ahead.settled();
        expect(seen).toEqual(walk(source));
        // One more than the limit only for a listing the walk needed and nobody had asked for.
        expect(mostHeld, `limit ${limit}`).toBeLessThanOrEqual(limit + 1);
        if (limit > 100) expect(mostHeld).toBeGreaterThan(10); // asks ahead for many at once
      }
    });
  });
});

describe("restore with the 'skip' policy", () => {
  it('restores nothing of a folder where a file is in the way, and everything beside it', async () => {
    await withVault(async (vault) => {
      const target = join(root, 'skip-whole');
      mkdirSync(target);
      writeFileSync(join(target, 'a3'), 'mine');
      const r = await restore(vault, vault.resolveSnapshot('latest'), target, { policy: 'skip' });
      expect(r.skipped).toBe(1);
      expect(readFileSync(join(target, 'a3'), 'utf8')).toBe('mine');
      expect(walk(target).filter((p) => !p.startsWith('a3'))).toEqual(walk(source).filter((p) => !p.startsWith('a3')));
      expect(r.files).toBe(walk(source).filter((p) => !p.startsWith('a3') && statSync(join(source, p)).isFile()).length);
    });
  });

  it('restores no chosen path below a folder where a file is in the way', async () => {
    await withVault(async (vault) => {
      const target = join(root, 'skip-paths');
      mkdirSync(target);
      writeFileSync(join(target, 'a1'), 'mine');
      const r = await restore(vault, vault.resolveSnapshot('latest'), target, { policy: 'skip', paths: ['a1/b1', 'a2/b2'] });
      expect(readFileSync(join(target, 'a1'), 'utf8')).toBe('mine');
      expect(walk(target).filter((p) => p.startsWith('a2'))).toEqual(walk(source).filter((p) => p === 'a2' || p.startsWith('a2/b2')));
      expect(r.files).toBe(readdirSync(join(source, 'a2', 'b2')).length);
    });
  });
});

describe('restore into a folder with a file in the way', () => {
  it("fails with that file's conflict, not an unhandled error, while later files are still being gathered", async () => {
    // a.txt comes first and goes through this thread (the target folder existed); the conflict is
    // found while the direct files of d/ fill their first window and this thread waits for it to go out.
    const src = join(root, 'conflict-src');
    mkdirSync(join(src, 'd'), { recursive: true });
    writeFileSync(join(src, 'a.txt'), 'theirs');
    for (let i = 0; i < 600; i++) writeFileSync(join(src, 'd', `f${i}.txt`), `file ${i}`);
    const dir = join(root, 'conflict-vault');
    const v = await Vault.create(dir, PASSWORD, { kdf: KDF, threads: 2 });
    try {
      await backup(v, src);
      const target = join(root, 'conflict-out');
      mkdirSync(target);
      writeFileSync(join(target, 'a.txt'), 'mine');
      const err = await restore(v, v.resolveSnapshot('latest'), target).catch((e: unknown) => e);
      expect(isVaultError(err) && err.kind).toBe('target-exists');
      expect(readFileSync(join(target, 'a.txt'), 'utf8')).toBe('mine');
      expect(walk(target).filter((p) => p.includes('.mmry-partial-'))).toEqual([]);
    } finally {
      await v.close();
    }
  });
});
