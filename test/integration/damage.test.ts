/**
 * Damaged packs: one flipped byte inside a stored blob makes the files that
 * need it fail loudly (reported, non-zero CLI exit), never restores wrong
 * bytes or leaves a torn file, and every other file still comes back. A
 * damaged folder listing fails that folder's contents the same way.
 *
 * The vault is made without parity (redundancy 0): this is about detection;
 * healing from parity is the self-healing suite's business.
 */
import { readdir, readFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { isVaultError } from '../../src-main/engine/errors.ts';
import { packPath } from '../../src-main/engine/packs/index.ts';
import { restore, backup, Vault } from '../../src-main/engine/vault/index.ts';
import { FAST_OPTIONS, PASSWORD } from './config.ts';
import { flipByteAt } from '../flip.ts';
import { expectOneErrorLine, filesUnder, noise, prose, readTree, runCli, sha256, useScratch } from './helpers.ts';

const scratch = useScratch('damage');
let vaultDir: string;
let src: string;
let snapshotId: string;

/** Flips one bit in the middle of the stored (sealed) blob `id`. */
async function damageBlob(vault: Vault, id: Uint8Array): Promise<void> {
  const place = vault.catalog.getBlob(id);
  if (!place) throw new Error('blob not in the catalog');
  // Inside the blob's own bytes: for a chunk in a bundle (small.txt, in a bundle of its own,
  // stored as is since it is too small to compress), past the nonce and codec byte into its
  // slice; a flip elsewhere in the bundle would leave it whole, and reads would salvage it.
  const at = place.member ? place.offset + 13 + place.member.innerOffset + Math.floor(place.member.length / 2) : place.offset + Math.floor(place.length / 2);
  await flipByteAt(packPath(vault.packsDir, place.packId), at, 0x10);
}

/** A vault without parity holding one backup of `source`, with the listing of `folder` damaged. */
async function vaultWithDamagedListing(name: string, source: string, folder: string): Promise<{ copy: string; id: string }> {
  const copy = join(await scratch(name), 'v');
  const vault = await Vault.create(copy, PASSWORD, { ...FAST_OPTIONS, redundancy: 0 });
  try {
    const id = (await backup(vault, source)).snapshotId;
    await damageBlob(vault, (await vault.entryAt(vault.resolveSnapshot(id), folder)).entry!.subtree!);
    return { copy, id };
  } finally {
    await vault.close();
  }
}

async function partialsUnder(dir: string): Promise<string[]> {
  return (await filesUnder(dir)).filter((f) => f.includes('.mmry-partial-'));
}

beforeAll(async () => {
  vaultDir = join(await scratch('vault'), 'v');
  src = join(await scratch('src'), 'src');
  await mkdir(join(src, 'docs'), { recursive: true });
  // Four file types, so each lands in a bundle of its own (small chunks are bundled by type,
  // and damage to a bundle fails every file in it).
  await writeFile(join(src, 'victim.bin'), noise('victim', 400_000)); // ~20 chunks
  await writeFile(join(src, 'small.txt'), 'a small file stored as one blob\n');
  await writeFile(join(src, 'other.dat'), noise('other', 300_000));
  await writeFile(join(src, 'docs', 'readme.md'), prose(5, 60_000));
  const vault = await Vault.create(vaultDir, PASSWORD, { ...FAST_OPTIONS, redundancy: 0 });
  try {
    snapshotId = (await backup(vault, src)).snapshotId;
    const snap = vault.resolveSnapshot(snapshotId);
    const victim = (await vault.entryAt(snap, 'victim.bin')).entry!.content!;
    expect(victim.length).toBeGreaterThan(5);
    await damageBlob(vault, victim[Math.floor(victim.length / 2)]!); // a chunk in the middle
    await damageBlob(vault, (await vault.entryAt(snap, 'small.txt')).entry!.content![0]!);
  } finally {
    await vault.close();
  }
});

describe('a damaged blob in a pack', () => {
  it('fails exactly the files that need it, writes no wrong or partial bytes, and restores the rest', async () => {
    const vault = await Vault.open(vaultDir, PASSWORD, FAST_OPTIONS);
    try {
      const target = join(await scratch('out'), 'out');
      const r = await restore(vault, vault.resolveSnapshot(snapshotId), target);
      expect(r.problems.map((p) => p.path).sort()).toEqual(['small.txt', 'victim.bin']);
      for (const p of r.problems) expect(p.message).toMatch(/damaged|authentication/i);
      expect(r.files).toBe(2);
      const restored = await readTree(target);
      expect([...restored.keys()].sort()).toEqual(['docs', 'docs/readme.md', 'other.dat']);
      expect(restored.get('other.dat')!.sha256).toBe(sha256(await readFile(join(src, 'other.dat'))));
      expect(restored.get('docs/readme.md')!.sha256).toBe(sha256(await readFile(join(src, 'docs', 'readme.md'))));
      expect(await partialsUnder(target)).toEqual([]);
      expect(await readdir(target)).not.toContain('victim.bin');
    } finally {
      await vault.close();
    }
  });

  it('makes `mmry restore` report each lost file and exit non-zero, and still restore the others', async () => {
    const target = join(await scratch('cli-out'), 'out');
    const res = await runCli(['restore', vaultDir, snapshotId.slice(0, 10), target]);
    expect(res.code).not.toBe(0);
    expect(res.code).not.toBeNull();
    const lines = res.stderr.split('\n').filter((l) => l.length > 0);
    expect(lines.filter((l) => l.startsWith('not restored: '))).toHaveLength(2);
    expect(res.stderr).toContain('victim.bin');
    expect(res.stderr).toContain('small.txt');
    expect(lines.at(-1)).toMatch(/^mmry: 2 entries were not restored/);
    expect(res.stderr).not.toMatch(/^\s+at /m);
    expect(await readFile(join(target, 'other.dat'))).toEqual(await readFile(join(src, 'other.dat')));
    expect(await partialsUnder(target)).toEqual([]);
  });

  it('fails only the folder whose listing (tree blob) is damaged, loudly, and restores everything beside it', async () => {
    const { copy, id } = await vaultWithDamagedListing('tree-vault', src, 'docs');
    const again = await Vault.open(copy, PASSWORD, FAST_OPTIONS);
    try {
      const target = join(await scratch('tree-out'), 'out');
      const r = await restore(again, again.resolveSnapshot(id), target);
      expect(r.problems.map((p) => p.path)).toEqual(['docs']);
      expect(r.problems[0]!.message).toMatch(/^Its contents were not restored: .*damaged/);
      const restored = await readTree(target);
      // The folder itself is there (its own entry is in the root listing), empty.
      expect([...restored.keys()].sort()).toEqual(['docs', 'other.dat', 'small.txt', 'victim.bin']);
      for (const name of ['other.dat', 'small.txt', 'victim.bin']) expect(restored.get(name)!.sha256, name).toBe(sha256(await readFile(join(src, name))));
      expect(await partialsUnder(target)).toEqual([]);
      // The totals end at what could be planned.
      expect(r.files).toBe(3);
    } finally {
      await again.close();
    }
    const cli = await runCli(['restore', copy, id, join(await scratch('tree-cli-out'), 'out')]);
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toMatch(/^not restored: docs: Its contents were not restored: /m);
    expect(cli.stderr.trim().split('\n').at(-1)).toMatch(/^mmry: 1 entry was not restored/);
    const res = await runCli(['ls', copy, id, 'docs']);
    expect(res.code).toBe(4);
    expectOneErrorLine(res, /damaged/);
  });

  it('fails only the damaged one of listings opened together in one batch', async () => {
    const many = join(await scratch('tree-many-src'), 'src');
    for (let f = 0; f < 6; f++) {
      await mkdir(join(many, `f${f}`, 'inner'), { recursive: true });
      await writeFile(join(many, `f${f}`, 'inner', 'note.txt'), `note ${f}\n`);
    }
    const { copy, id } = await vaultWithDamagedListing('tree-many-vault', many, 'f3');
    const again = await Vault.open(copy, PASSWORD, FAST_OPTIONS);
    try {
      const target = join(await scratch('tree-many-out'), 'out');
      const r = await restore(again, again.resolveSnapshot(id), target);
      expect(r.problems.map((p) => p.path)).toEqual(['f3']);
      const restored = [...(await readTree(target)).keys()].filter((k) => k.endsWith('note.txt')).sort();
      expect(restored).toEqual([0, 1, 2, 4, 5].map((f) => `f${f}/inner/note.txt`));
    } finally {
      await again.close();
    }
  });

  it('still fails a restore of chosen paths below a damaged listing before writing anything', async () => {
    const { copy, id } = await vaultWithDamagedListing('tree-vault-paths', src, 'docs');
    const again = await Vault.open(copy, PASSWORD, FAST_OPTIONS);
    try {
      const target = join(await scratch('tree-out-paths'), 'out');
      await expect(restore(again, again.resolveSnapshot(id), target, { paths: ['docs'] })).rejects.toSatisfy((err: unknown) => isVaultError(err, 'damaged-data'));
      await expect(readdir(target)).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await again.close();
    }
  });
});
