import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isVaultError } from '../errors.ts';
import { decodeHeader, HEADER_BYTES } from './header-format.ts';
import { changePassword, createHeader, readHeaderInfo, unlockAhead, unlockHeader } from './index.ts';
import type { KdfParams, VaultKeys } from './index.ts';
import { deriveWrappingKey, unwrapMasterKey } from './kdf.ts';

// Argon2's floor (8 KiB per lane, one pass): the real code path at test speed.
const CHEAP: KdfParams = { memoryKiB: 8, passes: 1, parallelism: 1 };

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mmry-keys-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const headerPath = (): string => join(dir, 'header');
const backupPath = (): string => join(dir, 'header.bak');

function flipByte(path: string, at: number): void {
  const bytes = readFileSync(path);
  bytes[at] = bytes[at]! ^ 0x01;
  writeFileSync(path, bytes);
}

/** Rewrites a field and fixes the checksum, as someone editing the file on purpose would. */
function editBehindChecksum(path: string, edit: (bytes: Buffer) => void): void {
  const bytes = readFileSync(path);
  edit(bytes);
  createHash('sha256').update(bytes.subarray(0, HEADER_BYTES - 32)).digest().copy(bytes, HEADER_BYTES - 32);
  writeFileSync(path, bytes);
}

async function expectKind(promise: Promise<unknown>, kind: string): Promise<Error> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isVaultError(err), `expected VaultError(${kind}), got ${String(err)}`).toBe(true);
  expect((err as { kind: string }).kind).toBe(kind);
  return err as Error;
}

function sameKeys(a: VaultKeys, b: VaultKeys): void {
  expect(b.vaultId).toBe(a.vaultId);
  expect(b.catalogKey.equals(a.catalogKey)).toBe(true);
  expect(b.blobKey.equals(a.blobKey)).toBe(true);
  expect(b.idKey.equals(a.idKey)).toBe(true);
  expect(b.gearSeed.equals(a.gearSeed)).toBe(true);
}

describe('createHeader / unlockHeader', () => {
  it('creates two identical copies that unlock to the same subkeys', async () => {
    const created = await createHeader(dir, 'correct horse', CHEAP);
    expect(created.vaultId).toMatch(/^[0-9a-f]{32}$/);
    const subkeys = [created.catalogKey, created.blobKey, created.idKey, created.gearSeed];
    expect(new Set(subkeys.map((k) => k.toString('hex'))).size).toBe(4);
    expect(readFileSync(headerPath()).equals(readFileSync(backupPath()))).toBe(true);
    expect(readFileSync(headerPath()).length).toBe(HEADER_BYTES);

    const { keys, repairedCopy } = await unlockHeader(dir, 'correct horse');
    expect(repairedCopy).toBeUndefined();
    sameKeys(created, keys);
    expect(await readHeaderInfo(dir)).toEqual({ vaultId: created.vaultId, formatVersion: 1, kdf: CHEAP });
  });

  it('refuses to create over an existing vault', async () => {
    await createHeader(dir, 'pw', CHEAP);
    await expectKind(createHeader(dir, 'pw', CHEAP), 'vault-exists');
  });

  it('creates the vault folder when needed', async () => {
    const nested = join(dir, 'a', 'vault');
    await createHeader(nested, 'pw', CHEAP);
    expect(existsSync(join(nested, 'header.bak'))).toBe(true);
  });

  it('rejects an empty password and impossible KDF settings', async () => {
    await expectKind(createHeader(dir, '', CHEAP), 'invalid-argument');
    await expectKind(createHeader(dir, 'pw', { memoryKiB: 8, passes: 1, parallelism: 4 }), 'invalid-argument');
  });

  it('says "not a vault" for a folder without header files', async () => {
    const err = await expectKind(unlockHeader(dir, 'pw'), 'not-a-vault');
    expect(err.message).toBe(`${dir} is not an MMRY vault.`);
    await expectKind(unlockHeader(join(dir, 'missing'), 'pw'), 'not-a-vault');
  });

  it('treats NFC and NFD spellings of a password as the same password', async () => {
    const created = await createHeader(dir, 'caf\u00e9', CHEAP);
    sameKeys(created, (await unlockHeader(dir, 'cafe\u0301')).keys);
  });
});

describe('unlockAhead', () => {
  it('is taken by the next unlock of the same folder and password, once, failures included', async () => {
    const created = await createHeader(dir, 'correct horse', CHEAP);
    const saved = [readFileSync(headerPath()), readFileSync(backupPath())];
    unlockAhead(join(dir, '.'), 'correct horse'); // the same folder, spelled otherwise
    unlockAhead(dir, 'wrong horse');
    for (const p of [headerPath(), backupPath()]) unlinkSync(p);
    // Both copies are gone: only an unlock that started before can still succeed.
    sameKeys(created, (await unlockHeader(dir, 'correct horse')).keys);
    await expectKind(unlockHeader(dir, 'wrong horse'), 'wrong-password');
    await expectKind(unlockHeader(dir, 'correct horse'), 'not-a-vault'); // taken once only
    writeFileSync(headerPath(), saved[0]!);
    writeFileSync(backupPath(), saved[1]!);
    unlockAhead(dir, 'another password');
    sameKeys(created, (await unlockHeader(dir, 'correct horse')).keys); // not taken for another password
  });
});

describe('wrong password versus damage', () => {
  it('reports a wrong password as such', async () => {
    await createHeader(dir, 'right', CHEAP);
    const err = await expectKind(unlockHeader(dir, 'wrong'), 'wrong-password');
    expect(err.message).toBe('The vault password is wrong.');
  });

  it.each([
    ['magic', 0],
    ['vault id', 12],
    ['KDF memory', 27],
    ['salt', 40],
    ['nonce', 60],
    ['wrapped key', 80],
    ['tag', 110],
    ['checksum', 140],
  ])('reports a flipped byte in the %s of both copies as a damaged header, even with the right password', async (_field, at) => {
    await createHeader(dir, 'right', CHEAP);
    flipByte(headerPath(), at);
    flipByte(backupPath(), at);
    await expectKind(unlockHeader(dir, 'right'), 'damaged-header');
    await expectKind(unlockHeader(dir, 'wrong'), 'damaged-header');
  });

  it('reports truncated or emptied copies as damage', async () => {
    await createHeader(dir, 'right', CHEAP);
    writeFileSync(headerPath(), readFileSync(headerPath()).subarray(0, 100));
    writeFileSync(backupPath(), '');
    await expectKind(unlockHeader(dir, 'right'), 'damaged-header');
  });

  it('refuses a header whose KDF cost was lowered behind a fixed-up checksum', async () => {
    await createHeader(dir, 'right', { memoryKiB: 16, passes: 2, parallelism: 1 });
    for (const path of [headerPath(), backupPath()]) editBehindChecksum(path, (b) => b.writeUInt32LE(1, 31));
    await expectKind(unlockHeader(dir, 'right'), 'wrong-password');
  });

  it('refuses a header from a newer format instead of repairing it backwards', async () => {
    await createHeader(dir, 'right', CHEAP);
    editBehindChecksum(headerPath(), (b) => b.writeUInt16LE(2, 8));
    const err = await expectKind(unlockHeader(dir, 'right'), 'not-a-vault');
    expect(err.message).toMatch(/newer version/);
    expect(readFileSync(headerPath()).readUInt16LE(8)).toBe(2);
  });
});

describe('repair from the other copy', () => {
  it.each([
    ['header', headerPath],
    ['header.bak', backupPath],
  ] as const)('rewrites a damaged %s from the good copy', async (name, pathOf) => {
    const created = await createHeader(dir, 'pw', CHEAP);
    const good = readFileSync(pathOf());
    flipByte(pathOf(), 45);
    const { keys, repairedCopy } = await unlockHeader(dir, 'pw');
    sameKeys(created, keys);
    expect(repairedCopy).toBe(name);
    expect(readFileSync(pathOf()).equals(good)).toBe(true);
    expect((await unlockHeader(dir, 'pw')).repairedCopy).toBeUndefined();
  });

  it('recreates a missing copy', async () => {
    await createHeader(dir, 'pw', CHEAP);
    unlinkSync(headerPath());
    expect((await unlockHeader(dir, 'pw')).repairedCopy).toBe('header');
    expect(readFileSync(headerPath()).equals(readFileSync(backupPath()))).toBe(true);
  });

  it('does not repair anything on a wrong password', async () => {
    await createHeader(dir, 'pw', CHEAP);
    flipByte(backupPath(), 45);
    const damaged = readFileSync(backupPath());
    await expectKind(unlockHeader(dir, 'nope'), 'wrong-password');
    expect(readFileSync(backupPath()).equals(damaged)).toBe(true);
  });
});

describe('changePassword', () => {
  it('rewraps the same master key: same subkeys, fresh salt, old password refused', async () => {
    const created = await createHeader(dir, 'old', CHEAP);
    const before = decodeHeader(readFileSync(headerPath()));
    await changePassword(dir, 'old', 'new', { memoryKiB: 16, passes: 2, parallelism: 2 });
    const after = decodeHeader(readFileSync(headerPath()));
    if (!before.ok || !after.ok) throw new Error('headers should decode');
    expect(after.header.salt.equals(before.header.salt)).toBe(false);
    expect(after.header.vaultId.equals(before.header.vaultId)).toBe(true);
    expect(after.header.kdf).toEqual({ memoryKiB: 16, passes: 2, parallelism: 2 });
    expect(readFileSync(headerPath()).equals(readFileSync(backupPath()))).toBe(true);
    sameKeys(created, (await unlockHeader(dir, 'new')).keys);
    await expectKind(unlockHeader(dir, 'old'), 'wrong-password');
  });

  it('needs the old password', async () => {
    await createHeader(dir, 'old', CHEAP);
    await expectKind(changePassword(dir, 'bad', 'new', CHEAP), 'wrong-password');
    await unlockHeader(dir, 'old');
  });

  it('survives a crash between the two copies: either password opens it and the copies converge', async () => {
    const created = await createHeader(dir, 'old', CHEAP);
    const oldBytes = readFileSync(headerPath());
    await changePassword(dir, 'old', 'new', CHEAP);
    const newBytes = readFileSync(headerPath());

    // `header` was rewritten, `header.bak` not yet.
    writeFileSync(backupPath(), oldBytes);
    const viaOld = await unlockHeader(dir, 'old');
    sameKeys(created, viaOld.keys);
    expect(viaOld.repairedCopy).toBe('header');
    expect(readFileSync(headerPath()).equals(oldBytes)).toBe(true);

    writeFileSync(headerPath(), newBytes);
    const viaNew = await unlockHeader(dir, 'new');
    sameKeys(created, viaNew.keys);
    expect(viaNew.repairedCopy).toBe('header.bak');
    expect(readFileSync(backupPath()).equals(newBytes)).toBe(true);
  });
});

describe('what the header file holds', () => {
  it('never contains the master key or any subkey', async () => {
    const keys = await createHeader(dir, 'pw', CHEAP);
    const file = readFileSync(headerPath());
    const decoded = decodeHeader(file);
    if (!decoded.ok) throw new Error('header should decode');
    const { header, associatedData } = decoded;
    const wrappingKey = await deriveWrappingKey('pw', header.salt, header.kdf);
    const masterKey = unwrapMasterKey(wrappingKey, header.nonce, header.wrapped, associatedData);
    expect(masterKey?.length).toBe(32);
    for (const secret of [masterKey!, wrappingKey, keys.catalogKey, keys.blobKey, keys.idKey, keys.gearSeed]) {
      expect(file.includes(secret)).toBe(false);
      expect(file.includes(secret.subarray(0, 8))).toBe(false);
    }
  });
});
