/**
 * The vault commands of `mmry`: parse, call the engine, print. Human output
 * by default, `--json` where scripts need it; progress bars only on a
 * terminal.
 */
import { VaultError } from '../engine/errors.ts';
import { backup, diffSnapshots, listPath, prepareSource, restore, Vault, vaultStats } from '../engine/vault/index.ts';
import type { VaultOptions } from '../engine/vault/index.ts';
import type { SnapshotRow } from '../engine/catalog/index.ts';
import { parseCommandArgs, UsageError } from './main.ts';
import type { CliIO } from './main.ts';
import { countOf, formatBytes, formatDate, progressLine, ProgressBar } from './format.ts';
import { givenPassword } from './password.ts';
import { promptHidden } from './prompt.ts';

const passwordOptions = {
  'password-file': { type: 'string' },
} as const;

function positionals(list: string[], names: string[], optional = 0): string[] {
  if (list.length < names.length - optional) throw new UsageError(`missing ${names.slice(list.length).join(' ')}`);
  if (list.length > names.length) throw new UsageError(`unexpected argument '${list[names.length]}'`);
  return list;
}

/** The password, from MMRY_PASSWORD, --password-file, or a hidden prompt on a terminal. */
export async function readPassword(io: CliIO, file: string | undefined, prompt = 'Vault password: '): Promise<string> {
  const given = await givenPassword(file);
  if (given !== undefined) return given;
  if (io.isTTY) return promptHidden(prompt);
  throw new VaultError('invalid-argument', 'No password given: set MMRY_PASSWORD, use --password-file FILE, or run on a terminal.');
}

async function newPassword(io: CliIO, envName: string, file: string | undefined): Promise<string> {
  if (file !== undefined || process.env[envName]) {
    if (file !== undefined) return readPassword(io, file);
    return process.env[envName]!;
  }
  if (!io.isTTY) throw new VaultError('invalid-argument', `No new password given: set ${envName}, use --new-password-file FILE, or run on a terminal.`);
  const first = await promptHidden('New vault password: ');
  if (first.length < 8) throw new VaultError('invalid-argument', 'Choose a password of at least 8 characters.');
  const second = await promptHidden('Repeat the password: ');
  if (first !== second) throw new VaultError('invalid-argument', 'The two passwords differ; nothing was changed.');
  return first;
}

/** `warmPool` for commands that will use the worker threads anyway: they load while Argon2id runs. */
async function withVault<T>(path: string, io: CliIO, passwordFile: string | undefined, fn: (v: Vault) => Promise<T>, options: Pick<VaultOptions, 'warmPool'> = {}): Promise<T> {
  const vault = await Vault.open(path, await readPassword(io, passwordFile), options);
  try {
    return await fn(vault);
  } finally {
    await vault.close();
  }
}

function interruptible(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onSignal) };
}

export async function initCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals: pos } = parseCommandArgs(argv, { ...passwordOptions, redundancy: { type: 'string' } });
  const [dir] = positionals(pos, ['VAULT']);
  const redundancy = values.redundancy === undefined ? undefined : Number(values.redundancy) / 100;
  if (redundancy !== undefined && !(Number.isFinite(redundancy) && redundancy >= 0 && redundancy <= 2)) throw new UsageError('--redundancy must be a percentage from 0 to 200');
  const password = values['password-file'] !== undefined || process.env['MMRY_PASSWORD'] ? await readPassword(io, values['password-file']) : await newPassword(io, 'MMRY_PASSWORD', undefined);
  const vault = await Vault.create(dir!, password, redundancy === undefined ? {} : { redundancy });
  await vault.close();
  io.out(`Created a vault in ${vault.dir}.`);
  io.out('Keep the password safe: without it nobody, including you, can read the vault.');
  return 0;
}

export async function backupCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals: pos } = parseCommandArgs(argv, { ...passwordOptions, project: { type: 'string' }, exclude: { type: 'string', multiple: true }, json: { type: 'boolean' } });
  const [dir, source] = positionals(pos, ['VAULT', 'SOURCE']);
  const exclude = values.exclude ?? [];
  // The source is listed while the password is checked; a problem with it is reported by the backup itself.
  const prepared = await prepareSource(dir!, source!, exclude).catch(() => undefined);
  return withVault(dir!, io, values['password-file'], async (vault) => {
    const bar = io.isTTY ? new ProgressBar(io) : undefined;
    const stop = interruptible();
    try {
      const s = await backup(vault, source!, {
        ...(values.project ? { project: values.project } : {}),
        exclude,
        ...(prepared ? { prepared } : {}),
        signal: stop.signal,
        ...(bar ? { onProgress: (p) => bar.update(progressLine(p.files, p.filesTotal, p.bytes, p.bytesTotal, p.current)) } : {}),
      });
      bar?.done();
      if (values.json) {
        io.out(JSON.stringify(s));
      } else {
        io.out(`Snapshot ${s.snapshotId.slice(0, 12)} of '${s.project}': ${s.files} files, ${s.dirs} folders, ${formatBytes(s.bytes)}.`);
        io.out(`  ${s.filesNew} new, ${s.filesChanged} changed, ${s.filesUnmodified} unchanged; ${formatBytes(s.storedBytes)} added to the vault in ${(s.durationMs / 1000).toFixed(2)} s.`);
        for (const w of s.warnings) io.err(`warning: ${w.path || '.'}: ${w.message}`);
      }
      return 0;
    } finally {
      bar?.done();
      stop.dispose();
    }
  });
}

export async function snapshotsCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals: pos } = parseCommandArgs(argv, { ...passwordOptions, project: { type: 'string' }, json: { type: 'boolean' } });
  const [dir] = positionals(pos, ['VAULT']);
  return withVault(dir!, io, values['password-file'], async (vault) => {
    let projectId: number | undefined;
    if (values.project !== undefined) {
      const p = vault.catalog.getProject(values.project);
      if (!p) throw new VaultError('not-found', `There is no project named '${values.project}' in this vault.`);
      projectId = p.id;
    }
    const rows = vault.catalog.listSnapshots(projectId).sort((a, b) => a.createdAt - b.createdAt);
    const list = rows.map((s) => snapshotJson(vault, s));
    if (values.json) io.out(JSON.stringify(list));
    else if (list.length === 0) io.out('No snapshots yet.');
    else {
      io.out(`${'ID'.padEnd(12)}  ${'DATE'.padEnd(19)}  ${'PROJECT'.padEnd(20)}  ${'FILES'.padStart(7)}  ${'SIZE'.padStart(10)}  ${'ADDED'.padStart(10)}`);
      for (const s of list) io.out(`${s.id.slice(0, 12)}  ${formatDate(s.createdAt)}  ${s.project.slice(0, 20).padEnd(20)}  ${String(s.files).padStart(7)}  ${formatBytes(s.totalBytes).padStart(10)}  ${formatBytes(s.storedBytes).padStart(10)}`);
    }
    return 0;
  });
}

function snapshotJson(vault: Vault, s: SnapshotRow) {
  return {
    id: s.id,
    project: vault.projectName(s.projectId),
    createdAt: s.createdAt,
    files: s.fileCount,
    dirs: s.dirCount,
    totalBytes: s.totalBytes,
    newBytes: s.newBytes,
    storedBytes: s.storedBytes,
    filesNew: s.filesNew,
    filesChanged: s.filesChanged,
    filesUnmodified: s.filesUnmodified,
    warnings: s.warnings.length,
    note: s.note,
  };
}

export async function lsCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals: pos } = parseCommandArgs(argv, { ...passwordOptions, project: { type: 'string' }, json: { type: 'boolean' } });
  const [dir, ref, path] = positionals(pos, ['VAULT', 'SNAPSHOT', 'PATH'], 1);
  return withVault(dir!, io, values['password-file'], async (vault) => {
    const entries = await listPath(vault, vault.resolveSnapshot(ref!, values.project), path ?? '');
    if (values.json) io.out(JSON.stringify(entries));
    else {
      for (const e of entries) {
        const kind = e.type === 'dir' ? 'd' : e.type === 'symlink' ? 'l' : '-';
        const name = e.type === 'dir' ? `${e.path}/` : e.type === 'symlink' ? `${e.path} -> ${e.target}` : e.path;
        io.out(`${kind}${modeString(e.mode)}  ${formatBytes(e.size).padStart(10)}  ${formatDate(e.mtimeMs)}  ${name}`);
      }
    }
    return 0;
  });
}

export async function restoreCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals: pos } = parseCommandArgs(argv, { ...passwordOptions, project: { type: 'string' }, path: { type: 'string', multiple: true }, overwrite: { type: 'boolean' }, json: { type: 'boolean' } });
  const [dir, ref, target] = positionals(pos, ['VAULT', 'SNAPSHOT', 'TARGET']);
  return withVault(dir!, io, values['password-file'], async (vault) => {
    const bar = io.isTTY ? new ProgressBar(io) : undefined;
    const stop = interruptible();
    try {
      const s = await restore(vault, vault.resolveSnapshot(ref!, values.project), target!, {
        paths: values.path ?? [],
        policy: values.overwrite ? 'overwrite' : 'refuse',
        signal: stop.signal,
        ...(bar ? { onProgress: (p) => bar.update(progressLine(p.files, p.filesTotal, p.bytes, p.bytesTotal, p.current)) } : {}),
      });
      bar?.done();
      if (values.json) io.out(JSON.stringify(s));
      else {
        io.out(`Restored ${s.files} files, ${s.dirs} folders, ${s.symlinks} links (${formatBytes(s.bytes)}) into ${s.target}.`);
        for (const p of s.problems) io.err(`not restored: ${p.path}: ${p.message}`);
      }
      if (s.problems.length > 0) {
        io.err(`mmry: ${s.problems.length} entr${s.problems.length === 1 ? 'y was' : 'ies were'} not restored; see above.`);
        return 2;
      }
      return 0;
    } finally {
      bar?.done();
      stop.dispose();
    }
  }, { warmPool: true });
}

export async function diffCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals: pos } = parseCommandArgs(argv, { ...passwordOptions, project: { type: 'string' }, json: { type: 'boolean' } });
  const [dir, refA, refB] = positionals(pos, ['VAULT', 'SNAPSHOT_A', 'SNAPSHOT_B']);
  return withVault(dir!, io, values['password-file'], async (vault) => {
    const d = await diffSnapshots(vault, vault.resolveSnapshot(refA!, values.project), vault.resolveSnapshot(refB!, values.project));
    if (values.json) io.out(JSON.stringify(d));
    else {
      const sign = { added: '+', removed: '-', changed: 'M', 'type-changed': 'T' } as const;
      for (const e of d.entries) {
        const delta = e.type === 'dir' ? '' : `  (${signed((e.sizeAfter ?? 0) - (e.sizeBefore ?? 0))})`;
        io.out(`${sign[e.change]} ${e.path}${e.type === 'dir' ? '/' : ''}${delta}`);
      }
      io.out(`${d.added} added, ${d.removed} removed, ${d.changed} changed; size ${signed(d.sizeDelta)}.`);
    }
    return 0;
  });
}

export async function statsCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals: pos } = parseCommandArgs(argv, { ...passwordOptions, json: { type: 'boolean' } });
  const [dir] = positionals(pos, ['VAULT']);
  return withVault(dir!, io, values['password-file'], async (vault) => {
    const s = vaultStats(vault);
    if (values.json) io.out(JSON.stringify(s));
    else {
      io.out(`${countOf(s.projects, 'project')}, ${countOf(s.snapshots, 'snapshot')}; ${countOf(s.chunks, 'unique chunk')} in ${countOf(s.blobs, 'sealed blob')} (small ones share one, in bundles) in ${countOf(s.packs, 'pack')}.`);
      io.out(`Original data ${formatBytes(s.originalBytes)}; after dedup ${formatBytes(s.uniqueBytes)}; stored ${formatBytes(s.storedBytes)}.`);
      io.out(`Saved by dedup ${formatBytes(s.dedupSavedBytes)}, by compression ${formatBytes(s.compressionSavedBytes)}.`);
      io.out(`Self-healing parity: ${formatBytes(s.parityBytes)} (${(s.parityShare * 100).toFixed(1)}% of the packs).`);
      if (s.fileTypes.length > 0) {
        io.out('\nWhat the engine learned per file type (largest first):');
        for (const t of s.fileTypes.slice(0, 15)) {
          const ratio = t.bytesIn > 0 ? (t.bytesOut / t.bytesIn).toFixed(2) : '-';
          io.out(`  ${t.typeKey.padEnd(22)} ${t.strategy.padEnd(14)} ${String(t.samples).padStart(6)} chunks  ${formatBytes(t.bytesIn).padStart(10)} → ratio ${ratio}`);
        }
      }
    }
    return 0;
  });
}

export async function passwdCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals: pos } = parseCommandArgs(argv, { ...passwordOptions, 'new-password-file': { type: 'string' } });
  const [dir] = positionals(pos, ['VAULT']);
  const old = await readPassword(io, values['password-file'], 'Current vault password: ');
  const next = await newPassword(io, 'MMRY_NEW_PASSWORD', values['new-password-file']);
  await Vault.changePassword(dir!, old, next);
  io.out('The vault password was changed.');
  return 0;
}

function signed(n: number): string {
  return `${n >= 0 ? '+' : '-'}${formatBytes(Math.abs(n))}`;
}

function modeString(mode: number): string {
  const bits = 'rwxrwxrwx';
  let s = '';
  for (let i = 0; i < 9; i++) s += mode & (1 << (8 - i)) ? bits[i] : '-';
  return s;
}
