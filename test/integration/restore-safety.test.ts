/**
 * Restore never writes outside its target, even when the vault itself is
 * hostile: trees are crafted by hand (the tree encoder refuses these names),
 * sealed with the vault's own keys, cataloged and given snapshot rows, so
 * they pass authentication and reach the restorer as if a buggy or malicious
 * writer had made them. Symlinks already in the target are tried too.
 */
import { existsSync } from 'node:fs';
import { lstat, mkdir, readdir, readFile, readlink, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isVaultError } from '../../src-main/engine/errors.ts';
import type { VaultErrorKind } from '../../src-main/engine/errors.ts';
import type { ConflictPolicy } from '../../src-main/engine/restore/index.ts';
import { restore, Vault } from '../../src-main/engine/vault/index.ts';
import { FAST_OPTIONS, PASSWORD } from './config.ts';
import { addSnapshot, BlobKind, rawTree, writePack } from './craft.ts';
import type { RawEntry } from './craft.ts';
import { expectOneErrorLine, runCli, useScratch } from './helpers.ts';

const scratch = useScratch('escape');
let vaultDir: string;
let vault: Vault;
let payload: Buffer;
let payloadId: Buffer;
let n = 0;

beforeAll(async () => {
  vaultDir = join(await scratch('vault'), 'v');
  vault = await Vault.create(vaultDir, PASSWORD, FAST_OPTIONS);
  payload = Buffer.from('PWNED: this byte must never land outside the restore folder\n');
  [payloadId] = (await writePack(vault, [{ plain: payload, kind: BlobKind.chunk }], { catalog: true })).ids as [Buffer];
});
afterAll(async () => {
  await vault?.close();
});

const file = (name: string | Buffer): RawEntry => ({ type: 'file', name, size: payload.length, content: [payloadId] });

/** Stores tree bytes as a tree blob; returns its id. */
async function storeTree(bytes: Buffer): Promise<Buffer> {
  return (await writePack(vault, [{ plain: bytes, kind: BlobKind.tree }], { catalog: true })).ids[0]!;
}

/** A snapshot whose root tree is `entries` (hand-encoded, unvalidated). */
async function craftedSnapshot(entries: RawEntry[], sort = true): Promise<string> {
  return addSnapshot(vault, await storeTree(rawTree(entries, sort)), `crafted ${++n}`);
}

/** A fresh base folder holding an empty `outside/` sentinel; the restore target is `base/target`. */
async function arena(): Promise<{ base: string; target: string; outside: string }> {
  const base = await scratch('arena');
  const outside = join(base, 'outside');
  await mkdir(outside);
  return { base, target: join(base, 'target'), outside };
}

async function restoreFails(snapshotId: string, target: string, policy: ConflictPolicy = 'refuse'): Promise<VaultErrorKind> {
  try {
    const r = await restore(vault, vault.resolveSnapshot(snapshotId), target, { policy });
    throw new Error(`restore succeeded: ${JSON.stringify(r)}`);
  } catch (err) {
    if (!isVaultError(err)) throw err;
    return err.kind;
  }
}

/** Nothing appeared outside the target: the sentinel is empty and the base holds only what the test made. */
async function expectContained(a: { base: string; outside: string }, allowed: string[] = ['outside', 'target']): Promise<void> {
  expect(await readdir(a.outside)).toEqual([]);
  for (const name of await readdir(a.base)) expect(allowed).toContain(name);
}

describe('restore refuses crafted names that would leave the target', () => {
  it('(control: a crafted snapshot with plain names restores normally)', async () => {
    const inner = await storeTree(rawTree([file('deeper')]));
    const id = await craftedSnapshot([file('ok.txt'), { type: 'dir', name: 'sub', subtree: inner }]);
    const a = await arena();
    const r = await restore(vault, vault.resolveSnapshot(id), a.target);
    expect(r.problems).toEqual([]);
    expect(await readFile(join(a.target, 'ok.txt'))).toEqual(payload);
    expect(await readFile(join(a.target, 'sub', 'deeper'))).toEqual(payload);
    await expectContained(a);
  });

  const hostile: [string, string | Buffer][] = [
    ['dot-dot', '..'],
    ['dot', '.'],
    ['parent path', '../escape'],
    ['deeper parent path', '../../outside/escape'],
    ['separator', 'a/b'],
    ['absolute', '/tmp/absolute-escape'],
    ['empty', ''],
    ['NUL', Buffer.from('x\0y')],
  ];
  for (const [label, name] of hostile) {
    it(`as a file at the root: ${label}`, async () => {
      const id = await craftedSnapshot([file('ok.txt'), file(name)]);
      const a = await arena();
      expect(['damaged-data', 'unsafe-path']).toContain(await restoreFails(id, a.target));
      await expectContained(a);
      // Refused before anything was written, even the harmless file.
      expect(existsSync(join(a.target, 'ok.txt'))).toBe(false);
    });
  }

  it('as a folder deep in the tree, with a file inside it', async () => {
    const inner = await storeTree(rawTree([file('escape')]));
    const evil = await storeTree(rawTree([{ type: 'dir', name: '..', subtree: inner }, file('fine')]));
    const id = await craftedSnapshot([file('ok.txt'), { type: 'dir', name: 'sub', subtree: evil }]);
    const a = await arena();
    // The listing holding the name is refused as damaged: nothing of it is restored, and the
    // folder is reported, as any folder whose listing cannot be read; the rest comes back.
    const r = await restore(vault, vault.resolveSnapshot(id), a.target);
    expect(r.problems.map((p) => p.path)).toEqual(['sub']);
    expect(r.problems[0]!.message).toMatch(/^Its contents were not restored: /);
    await expectContained(a);
    expect(existsSync(join(a.base, 'escape'))).toBe(false);
    expect(await readdir(join(a.target, 'sub'))).toEqual([]);
    expect(await readFile(join(a.target, 'ok.txt'))).toEqual(payload);
  });

  it('as a symlink "link" -> outside followed by a folder "link" holding a file, in either order', async () => {
    const a = await arena();
    const inner = await storeTree(rawTree([file('pwned')]));
    const link: RawEntry = { type: 'symlink', name: 'link', target: a.outside };
    const dir: RawEntry = { type: 'dir', name: 'link', subtree: inner };
    for (const entries of [[link, dir], [dir, link]]) {
      const id = await craftedSnapshot(entries, false);
      expect(['damaged-data', 'unsafe-path']).toContain(await restoreFails(id, a.target));
      await expectContained(a);
    }
  });

  it('through a CLI --path that climbs out', async () => {
    const id = await craftedSnapshot([file('ok.txt')]);
    const a = await arena();
    const res = await runCli(['restore', vaultDir, id, a.target, '--path', '../outside']);
    expect(res.code).not.toBe(0);
    expectOneErrorLine(res, /cannot contain '\.\.'/);
    await expectContained(a);
  });
});

describe('restore never writes through a symlink', () => {
  const policies: ConflictPolicy[] = ['refuse', 'skip', 'overwrite', 'keep-both'];

  it('restored by an earlier snapshot into the same target, whatever the conflict policy', async () => {
    for (const policy of policies) {
      const a = await arena();
      // Snapshot 1: a link to the outside, stored verbatim (legal on its own).
      const withLink = await craftedSnapshot([{ type: 'symlink', name: 'link', target: a.outside }]);
      const first = await restore(vault, vault.resolveSnapshot(withLink), a.target);
      expect(first.problems).toEqual([]);
      expect(await readlink(join(a.target, 'link'))).toBe(a.outside);
      // Snapshot 2: a folder of the same name with a file in it, restored over it.
      const inner = await storeTree(rawTree([file('pwned')]));
      const withDir = await craftedSnapshot([{ type: 'dir', name: 'link', subtree: inner }]);
      try {
        await restore(vault, vault.resolveSnapshot(withDir), a.target, { policy });
      } catch (err) {
        expect(isVaultError(err), String(err)).toBe(true);
      }
      await expectContained(a);
      const now = await lstat(join(a.target, 'link'));
      if (now.isDirectory()) expect(await readFile(join(a.target, 'link', 'pwned'))).toEqual(payload);
    }
  });

  it('already in the target, pointing outside, where the snapshot has a folder or a file', async () => {
    for (const policy of policies) {
      const a = await arena();
      await mkdir(a.target);
      await symlink(a.outside, join(a.target, 'sub'));
      await symlink(join(a.outside, 'victim'), join(a.target, 'victim'));
      const inner = await storeTree(rawTree([file('pwned')]));
      const id = await craftedSnapshot([{ type: 'dir', name: 'sub', subtree: inner }, file('victim')]);
      try {
        await restore(vault, vault.resolveSnapshot(id), a.target, { policy });
      } catch (err) {
        expect(isVaultError(err), String(err)).toBe(true);
      }
      await expectContained(a);
    }
  });
});
