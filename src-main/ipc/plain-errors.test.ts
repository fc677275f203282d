/** What the user is told about the folders they name, checked against real folders and files on disk. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fromSystemError, isVaultError, VaultError } from '../engine/errors.ts';
import { checkExportFile, checkRestoreFolder, checkSourceFolder, withAdvice } from './plain-errors.ts';
import { makeUnwritable } from './testing/unwritable.ts';

const root = mkdtempSync(join(tmpdir(), 'mmry-plain-errors-'));
const folder = join(root, 'site');
const file = join(folder, 'notes.txt');
mkdirSync(folder);
writeFileSync(file, 'hello\n');
afterAll(() => rmSync(root, { recursive: true, force: true }));

function thrown(f: () => void): VaultError {
  try {
    f();
  } catch (err) {
    if (err instanceof VaultError) return err;
    throw err;
  }
  throw new Error('expected a VaultError');
}

describe('checkSourceFolder', () => {
  it('accepts a readable folder', () => {
    expect(() => checkSourceFolder(folder)).not.toThrow();
  });

  it('says a missing folder is not there and what to check', () => {
    const e = thrown(() => checkSourceFolder(join(root, 'no-such-folder')));
    expect(e.kind).toBe('not-found');
    expect(e.message).toBe(`There is no folder at ${join(root, 'no-such-folder')}. Check the path for typos, or connect the disk it is on.`);
    expect(thrown(() => checkSourceFolder(join(file, 'below'))).kind).toBe('not-found');
  });

  it('says a file is a file and names the folder that holds it', () => {
    const e = thrown(() => checkSourceFolder(file));
    expect(e.kind).toBe('invalid-argument');
    expect(e.message).toBe(`${file} is a file, not a folder. To keep it safe, add the folder that holds it: ${folder}.`);
  });
});

describe('checkRestoreFolder', () => {
  it('accepts an existing folder, and a new one below a writable folder', () => {
    expect(() => checkRestoreFolder(folder)).not.toThrow();
    expect(() => checkRestoreFolder(join(root, 'new', 'deeper'))).not.toThrow();
  });

  it('refuses a file, or a path below a file, saying to choose a folder', () => {
    expect(thrown(() => checkRestoreFolder(file)).message).toBe(`${file} is a file. Choose a folder to restore into.`);
    expect(thrown(() => checkRestoreFolder(join(file, 'a', 'b'))).message).toBe(`${file} is a file, so nothing can be restored below it. Choose a folder to restore into.`);
  });

  it('says when the user may not write in the folder (or the folder a new one would go in)', () => {
    const locked = join(root, 'locked');
    mkdirSync(locked);
    const unlock = makeUnwritable(locked);
    try {
      for (const target of [locked, join(locked, 'restored')]) {
        const e = thrown(() => checkRestoreFolder(target));
        expect(e.kind).toBe('permission-denied');
        expect(e.message).toBe(`MMRY Vault may not write in ${locked}. Choose a folder you can write to, or change the permissions of that one.`);
      }
      const z = thrown(() => checkExportFile(join(locked, 'site.zip')));
      expect(z.message).toBe(`MMRY Vault may not write in ${locked}. Choose another place for the zip, or change the permissions of that folder.`);
    } finally {
      unlock();
    }
  });
});

describe('checkExportFile', () => {
  it('accepts a new zip in a writable folder and refuses a folder or a path below a file', () => {
    expect(() => checkExportFile(join(root, 'out', 'site.zip'))).not.toThrow();
    expect(thrown(() => checkExportFile(folder)).message).toBe(`${folder} is a folder. Give the name of the zip file to write, ending in .zip.`);
    expect(thrown(() => checkExportFile(join(file, 'site.zip'))).message).toBe(`${file} is a file, so no zip can be written below it. Choose another place for the zip.`);
  });
});

describe('withAdvice', () => {
  const denied = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });

  it("adds what to do to the engine's general sentences, keeping the kind", () => {
    const restore = withAdvice('restore', fromSystemError(denied, '"src/a.txt" in the restore folder')) as VaultError;
    expect(isVaultError(restore, 'permission-denied')).toBe(true);
    expect(restore.message).toBe('Permission denied for "src/a.txt" in the restore folder. Choose a folder you can write to, or change the permissions of that one.');
    const gone = withAdvice('backup', fromSystemError(Object.assign(new Error('ENOENT'), { code: 'ENOENT' }), 'the source folder /home/me/site')) as VaultError;
    expect(gone.message).toBe('The source folder /home/me/site does not exist. Check that it was not moved or deleted, and that its disk is connected.');
    const unreadable = withAdvice('backup', new VaultError('permission-denied', 'The source folder /x could not be read.')) as VaultError;
    expect(unreadable.message).toBe('The source folder /x could not be read. Give your user account permission to read it, or back up a folder you can read.');
  });

  it('leaves sentences that already say what to do, other kinds and other errors alone', () => {
    const full = fromSystemError(Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' }), 'the zip');
    expect(withAdvice('export', full)).toBe(full);
    const exists = new VaultError('target-exists', '"a" already exists in the restore folder; choose to overwrite, skip or keep both.');
    expect(withAdvice('restore', exists)).toBe(exists);
    const plain = new TypeError('boom');
    expect(withAdvice('backup', plain)).toBe(plain);
  });
});
