/**
 * No plaintext in the vault: file contents, file and folder names, link
 * targets, the project name and the source folder's path must not appear in
 * any byte of any file under the vault directory, in the catalog's WAL while
 * the vault is open, nor after it is closed.
 */
import { readFileSync } from 'node:fs';
import { mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backup, Vault } from '../../src-main/engine/vault/index.ts';
import { FAST_OPTIONS, PASSWORD } from './config.ts';
import { filesUnder, noise, prose, useScratch } from './helpers.ts';

const scratch = useScratch('secret');

const MARKERS = {
  content: 'QZX-CONTENT-MARKER-41f7',
  fileName: 'QZX-FILENAME-MARKER-9c2e',
  dirName: 'QZX-DIRNAME-MARKER-b81d',
  linkTarget: 'QZX-LINKTARGET-MARKER-77aa',
  project: 'QZX-PROJECT-MARKER-0d3c',
  source: 'QZX-SOURCE-MARKER-e5b0',
};

/** The ways a marker could leak: as UTF-8, as UTF-16 (SQLite can store text so), or hex-encoded. */
function needles(marker: string): Buffer[] {
  return [Buffer.from(marker, 'utf8'), Buffer.from(marker, 'utf16le'), Buffer.from(Buffer.from(marker).toString('hex'))];
}

/** Every (file, marker) pair where a marker occurs in the file's bytes or name. */
async function leaks(vaultDir: string): Promise<string[]> {
  const found: string[] = [];
  const files = await filesUnder(vaultDir);
  expect(files.length).toBeGreaterThan(3);
  for (const file of files) {
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch {
      continue; // a temporary file that went away meanwhile
    }
    for (const [what, marker] of Object.entries(MARKERS)) {
      if (file.slice(vaultDir.length).includes(marker)) found.push(`${file}: name holds the ${what} marker`);
      if (needles(marker).some((n) => bytes.includes(n))) found.push(`${file}: holds the ${what} marker`);
    }
  }
  return found;
}

async function writeSource(root: string): Promise<string> {
  const src = join(root, `${MARKERS.source}-folder`);
  await mkdir(join(src, MARKERS.dirName, 'nested'), { recursive: true });
  // Small (stored whole), compressible and large multi-chunk carriers of the content marker.
  await writeFile(join(src, 'small.txt'), `${MARKERS.content}\n`);
  await writeFile(join(src, 'notes.txt'), Buffer.concat([prose(7, 50_000), Buffer.from(` ${MARKERS.content} `.repeat(200)), prose(8, 50_000)]));
  await writeFile(join(src, MARKERS.dirName, 'nested', 'big.bin'), Buffer.concat([noise('s', 150_000), Buffer.from(MARKERS.content), noise('t', 150_000)]));
  await writeFile(join(src, `${MARKERS.fileName}.txt`), 'named file');
  await writeFile(join(src, MARKERS.dirName, `${MARKERS.fileName}-2`), '');
  await symlink(`../${MARKERS.linkTarget}/x`, join(src, `${MARKERS.fileName}-link`));
  return src;
}

describe('confidentiality of the vault directory', () => {
  it('holds no plaintext contents, names, link targets, project name or source path, open or closed', async () => {
    const src = await writeSource(await scratch('src'));
    const vaultDir = join(await scratch('vault'), 'v');
    const vault = await Vault.create(vaultDir, PASSWORD, FAST_OPTIONS);
    try {
      await backup(vault, src, { project: MARKERS.project });
      await writeFile(join(src, 'small.txt'), `${MARKERS.content} changed\n`);
      await backup(vault, src, { project: MARKERS.project });
      // While open, the catalog's recent writes sit in catalog.db-wal: it must be encrypted too.
      const names = await readdir(vaultDir);
      expect(names).toContain('catalog.db-wal');
      expect(await leaks(vaultDir)).toEqual([]);
    } finally {
      await vault.close();
    }
    expect(await leaks(vaultDir)).toEqual([]);

    // The search itself works: a plaintext decoy in the vault is found.
    await writeFile(join(vaultDir, 'packs', 'decoy'), `x${MARKERS.project}y`);
    expect(await leaks(vaultDir)).toEqual([`${join(vaultDir, 'packs', 'decoy')}: holds the project marker`]);
  });

  it('does not name the source folder in the lock file a running backup leaves in the vault', async () => {
    // The lock file stays behind when a backup is killed or the disk is unplugged
    // mid-run; it must not reveal what was being backed up.
    const src = await writeSource(await scratch('src-lock'));
    const vaultDir = join(await scratch('vault-lock'), 'v');
    const vault = await Vault.create(vaultDir, PASSWORD, FAST_OPTIONS);
    const seen: string[] = [];
    try {
      await backup(vault, src, {
        project: MARKERS.project,
        onProgress: () => {
          seen.push(readFileSync(join(vaultDir, 'lock'), 'utf8'));
        },
      });
    } finally {
      await vault.close();
    }
    expect(seen.length).toBeGreaterThan(0);
    for (const lock of seen) {
      for (const marker of [MARKERS.source, MARKERS.project]) expect(lock).not.toContain(marker);
    }
  });
});
