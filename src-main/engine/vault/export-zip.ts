/**
 * Export: a snapshot, or a folder or file of it, as one .zip file (fflate's
 * streaming Zip). Content streams chunk by chunk from the packs (opened and
 * checked in the worker pool) into the archive, so memory stays bounded
 * whatever the size. Files are deflated at level 1: cheap on the main
 * thread, and the vault's own compression already did the heavy lifting.
 *
 * The archive is written under a temporary name and renamed into place only
 * when complete, so `target` is either absent or a whole zip.
 * Symlinks are left out (zip has no portable form for them) and reported.
 */
import { access, open, rename, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { SnapshotRow } from '../catalog/index.ts';
import { VaultError, fromSystemError } from '../errors.ts';
import { fileContent } from './preview.ts';
import { planRestore } from './restore-run.ts';
import type { Vault } from './vault.ts';

export interface ExportOptions {
  /** Paths inside the snapshot; default: everything. */
  paths?: string[];
  signal?: AbortSignal;
  onProgress?: (p: { files: number; filesTotal: number; bytes: number; bytesTotal: number; current: string | null }) => void;
}

export interface ExportSummary {
  target: string;
  files: number;
  dirs: number;
  bytes: number;
  zipBytes: number;
  problems: { path: string; message: string }[];
}

export async function exportZip(vault: Vault, snapshot: SnapshotRow, targetFile: string, options: ExportOptions = {}): Promise<ExportSummary> {
  const target = resolve(targetFile);
  const plan = await planRestore(vault, snapshot, options.paths ?? []);
  const files = plan.filter((p) => p.entry.type === 'file');
  const totals = { files: files.length, bytes: files.reduce((n, p) => n + p.entry.size, 0) };
  const summary: ExportSummary = { target, files: 0, dirs: 0, bytes: 0, zipBytes: 0, problems: [] };
  const partial = `${target}.mmry-partial`;
  // Loaded here, not with the engine: every CLI command would pay for it (about 6 ms).
  const { Zip, ZipDeflate, ZipPassThrough } = await import('fflate');
  if (await access(target).then(() => true, () => false)) throw new VaultError('target-exists', `${target} already exists; choose another name for the zip file.`);
  let handle;
  try {
    handle = await open(partial, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new VaultError('target-exists', `${partial} already exists; remove it or choose another name.`);
    throw fromSystemError(err, `the folder ${dirname(target)}`);
  }
  // The zip callback is synchronous; writes are chained so they land in order.
  let writing: Promise<unknown> = Promise.resolve();
  let failed: unknown;
  const zip = new Zip((err, data, final) => {
    if (err) failed ??= err;
    if (data && data.length > 0) {
      summary.zipBytes += data.length;
      const h = handle;
      writing = writing.then(() => h.write(data));
    }
    if (final) writing = writing.then(() => undefined);
  });
  try {
    for (const p of plan) {
      if (options.signal?.aborted) throw new VaultError('cancelled', 'The export was cancelled.');
      const mtime = new Date(Number(p.entry.mtimeNs / 1_000_000n));
      if (p.entry.type === 'dir') {
        const dir = new ZipPassThrough(`${p.display}/`);
        dir.mtime = mtime;
        zip.add(dir);
        dir.push(new Uint8Array(0), true);
        summary.dirs++;
      } else if (p.entry.type === 'symlink') {
        summary.problems.push({ path: p.display, message: 'Left out: a zip file cannot hold a symbolic link.' });
      } else {
        const file = new ZipDeflate(p.display, { level: 1 });
        file.mtime = mtime;
        zip.add(file);
        const ids = p.entry.content ?? [];
        if (ids.length === 0) file.push(new Uint8Array(0), true);
        let n = 0;
        for await (const chunk of fileContent(vault, ids, options.signal)) {
          file.push(chunk, ++n === ids.length);
          await writing;
          if (failed) throw failed;
        }
        summary.files++;
        summary.bytes += p.entry.size;
        options.onProgress?.({ files: summary.files, filesTotal: totals.files, bytes: summary.bytes, bytesTotal: totals.bytes, current: p.display });
      }
    }
    zip.end();
    await writing;
    if (failed) throw failed;
    await handle.sync();
    await handle.close();
    await rename(partial, target);
    return summary;
  } catch (err) {
    zip.terminate();
    await writing.catch(() => undefined);
    await handle.close().catch(() => undefined);
    await unlink(partial).catch(() => undefined);
    if (err instanceof VaultError) throw err;
    throw fromSystemError(err, `the zip file ${target}`);
  }
}
