/**
 * Unlocking: a wrong password, a damaged header and a folder that is not a
 * vault are told apart; a password change through the CLI retires the old
 * password and keeps every byte of data.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isVaultError } from '../../src-main/engine/errors.ts';
import type { VaultErrorKind } from '../../src-main/engine/errors.ts';
import { restore, Vault } from '../../src-main/engine/vault/index.ts';
import { FAST_OPTIONS, OTHER_PASSWORD, PASSWORD } from './config.ts';
import { contentOf, expectOneErrorLine, newVaultWithData, readTree, runCli, useScratch } from './helpers.ts';

const scratch = useScratch('unlock');

async function openFails(dir: string, password: string): Promise<VaultErrorKind> {
  try {
    const v = await Vault.open(dir, password);
    await v.close();
  } catch (err) {
    expect(isVaultError(err), String(err)).toBe(true);
    return (err as { kind: VaultErrorKind }).kind;
  }
  throw new Error(`Vault.open(${dir}) succeeded`);
}

function flipByte(bytes: Buffer, at: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[at] = copy[at]! ^ 0x01;
  return copy;
}

describe('unlocking a vault', () => {
  it('tells a wrong password apart', async () => {
    const { vaultDir } = await newVaultWithData(scratch);
    expect(await openFails(vaultDir, OTHER_PASSWORD)).toBe('wrong-password');
    expect(await openFails(vaultDir, `${PASSWORD} `)).toBe('wrong-password');
    const v = await Vault.open(vaultDir, PASSWORD);
    await v.close();
  });

  it('reports a header damaged in both copies as damaged, and repairs a single damaged copy', async () => {
    const { vaultDir } = await newVaultWithData(scratch);
    const header = await readFile(join(vaultDir, 'header'));
    expect(await readFile(join(vaultDir, 'header.bak'))).toEqual(header);

    // One damaged copy: the vault still opens and the damaged copy is rewritten.
    await writeFile(join(vaultDir, 'header.bak'), flipByte(header, 70));
    const v = await Vault.open(vaultDir, PASSWORD);
    await v.close();
    expect(await readFile(join(vaultDir, 'header.bak'))).toEqual(header);

    // Both damaged (in different places): no password can help, and the error says so.
    await writeFile(join(vaultDir, 'header'), flipByte(header, 40));
    await writeFile(join(vaultDir, 'header.bak'), flipByte(header, 90));
    expect(await openFails(vaultDir, PASSWORD)).toBe('damaged-header');
    expect(await openFails(vaultDir, OTHER_PASSWORD)).toBe('damaged-header');
    const cli = await runCli(['snapshots', vaultDir]);
    expect(cli.code).toBe(4);
    expectOneErrorLine(cli, /damaged/);
  });

  it('says "not a vault" for an empty folder, an unrelated folder, a file and a missing path', async () => {
    const empty = await scratch('empty');
    expect(await openFails(empty, PASSWORD)).toBe('not-a-vault');
    const unrelated = await scratch('unrelated');
    await writeFile(join(unrelated, 'README.md'), '# not a vault');
    await mkdir(join(unrelated, 'packs'));
    expect(await openFails(unrelated, PASSWORD)).toBe('not-a-vault');
    expect(await openFails(join(unrelated, 'README.md'), PASSWORD)).toBe('not-a-vault');
    expect(await openFails(join(unrelated, 'missing'), PASSWORD)).toBe('not-a-vault');
  });

  it('changes the password with `mmry passwd`: the old one stops working, the new one opens intact data', async () => {
    const { vaultDir, src, snapshotId } = await newVaultWithData(scratch);
    const passwd = await runCli(['passwd', vaultDir], { password: PASSWORD, env: { MMRY_NEW_PASSWORD: OTHER_PASSWORD } });
    expect(passwd.stderr).toBe('');
    expect(passwd.code).toBe(0);
    expect(passwd.stdout).toContain('password was changed');
    expect(await readFile(join(vaultDir, 'header.bak'))).toEqual(await readFile(join(vaultDir, 'header')));

    expect(await openFails(vaultDir, PASSWORD)).toBe('wrong-password');

    const v = await Vault.open(vaultDir, OTHER_PASSWORD, FAST_OPTIONS);
    try {
      expect(v.catalog.listSnapshots().map((s) => s.id)).toEqual([snapshotId]);
      const target = join(await scratch('restored'), 'out');
      const r = await restore(v, v.resolveSnapshot(snapshotId), target);
      expect(r.problems).toEqual([]);
      expect(contentOf(await readTree(target))).toEqual(contentOf(await readTree(src)));
    } finally {
      await v.close();
    }
  });
});
