/**
 * The contract's implementation: one handler per call in
 * `src-shared/contract.ts`. Handlers receive arguments already validated by
 * the dispatcher and may throw VaultError for a typed failure.
 *
 * The same handlers serve both transports; what differs between them
 * (Electron or `mmry serve`) arrives in `AppContext`.
 */
import { isAbsolute } from 'node:path';
import { chooseStrategy } from '../engine/codecs/index.ts';
import type { StrategyStats } from '../engine/codecs/index.ts';
import { VaultError } from '../engine/errors.ts';
import { VaultPathIndex } from '../engine/search/vault-index.ts';
import { backup, diffSnapshots, exportZip, findInFolder, listPage, readFileRange, restore, vaultStats } from '../engine/vault/index.ts';
import type { Vault } from '../engine/vault/index.ts';
import type { Handlers } from './dispatch.ts';
import type { Operations } from './operations.ts';
import type { VaultSession } from './session.ts';
import { createSettingsHandlers } from './settings-handlers.ts';
import type { SettingsContext } from './settings-handlers.ts';
import { recordActivity, startLogged } from './activity.ts';
import type { Outcome } from './activity.ts';
import { createHealthHandlers, HealthService } from './health-handlers.ts';
import type { HealthContext } from './health-handlers.ts';
import { checkExportFile, checkRestoreFolder, checkSourceFolder, withAdvice } from './plain-errors.ts';
import { ShowableFolders } from './shown-folders.ts';

/** Settings, keychain and locking: see settings-handlers.ts for those parts of the context. */
export interface AppContext extends SettingsContext, HealthContext {
  transport: 'electron' | 'serve';
  appVersion: string;
  operations: Operations;
  session: VaultSession;
  /** The native folder picker (Electron only); null when the user cancels. */
  pickFolder?: (title: string) => Promise<string | null>;
  /** Opens a folder in the OS file manager (Electron only); rejects with a VaultError saying why it could not. */
  showFolder?: (folder: string) => Promise<void>;
  now?: () => number;
}

export function createHandlers(ctx: AppContext): Handlers {
  const now = ctx.now ?? Date.now;
  const indexes = new WeakMap<Vault, VaultPathIndex>();
  // Wrong passwords cannot be logged while the catalog is locked; they are written at the next unlock.
  let failedUnlocks = 0;

  /** Appends to the activity log of the open vault (see activity.ts). */
  const record = (kind: string, outcome: Outcome, project: string | null, detail: string) => recordActivity({ ...ctx, now }, kind, outcome, project, detail);
  /** A long operation whose end is written to the activity log. */
  const logged = (kind: string, project: string | null, describe: (summary: Record<string, unknown>) => string, job: Parameters<Operations['start']>[1]) =>
    startLogged({ ...ctx, now }, kind, project, describe, job);
  const health = ctx.health ?? new HealthService({ ...ctx, now });

  const snapshot = (id: string) => ctx.session.vault.resolveSnapshot(id);
  const showable = new ShowableFolders();
  const projectSources = () => (ctx.session.unlocked ? ctx.session.vault.listProjects().map((p) => p.sourcePath) : []);

  return {
    'app.info': () => ({
      name: 'MMRY Vault',
      version: ctx.appVersion,
      platform: process.platform,
      nodeVersion: process.versions.node,
      transport: ctx.transport,
      nativeDialogs: ctx.pickFolder !== undefined,
      openFolders: ctx.showFolder !== undefined,
    }),
    'vault.status': () => ({ path: ctx.session.path, exists: ctx.session.exists, unlocked: ctx.session.unlocked }),
    'vault.create': async ({ password }) => {
      await ctx.session.create(password);
      record('create', 'done', null, `Created the vault at ${ctx.session.path}.`);
      return { path: ctx.session.path };
    },
    'vault.unlock': async ({ password }) => {
      try {
        await ctx.session.unlock(password);
      } catch (err) {
        if (err instanceof VaultError && err.kind === 'wrong-password') failedUnlocks++;
        throw err;
      }
      if (failedUnlocks > 0) record('unlock', 'failed', null, `${failedUnlocks} unlock attempt${failedUnlocks === 1 ? '' : 's'} with a wrong password.`);
      failedUnlocks = 0;
      record('unlock', 'done', null, 'Unlocked the vault.');
      return { path: ctx.session.path };
    },
    'vault.lock': async () => {
      record('lock', 'done', null, 'Locked the vault.');
      await ctx.session.lock('user');
      return {};
    },
    'projects.list': () => {
      const badges = health.badges();
      return ctx.session.vault.listProjects().map((p) => ({ name: p.name, sourcePath: p.sourcePath, snapshotCount: p.snapshotCount, lastSnapshotAt: p.lastSnapshotAt, totalBytes: p.totalBytes, health: badges.get(p.name) ?? 'unchecked' }));
    },
    'snapshots.list': ({ project }) => {
      const vault = ctx.session.vault;
      const p = project === undefined ? undefined : vault.catalog.getProject(project);
      if (project !== undefined && !p) throw new VaultError('not-found', `There is no project named '${project}'.`);
      const tags = vault.catalog.snapshotTags();
      return vault.catalog
        .listSnapshots(p?.id)
        .sort((a, b) => b.createdAt - a.createdAt)
        .map((s) => ({
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
          warnings: s.warnings.length,
          note: s.note,
          tags: tags.get(s.id) ?? [],
        }));
    },
    'backup.start': ({ sourcePath, project }) => {
      if (!isAbsolute(sourcePath)) throw new VaultError('invalid-argument', 'Give the full path of the folder to back up.');
      checkSourceFolder(sourcePath);
      const vault = ctx.session.vault;
      const describe = (s: Record<string, unknown>) => `Snapshot of ${String(s['files'])} files from ${sourcePath}${(s['warnings'] as unknown[]).length ? `, with ${(s['warnings'] as unknown[]).length} warnings` : ''}.`;
      return logged('backup', project ?? null, describe, async ({ signal, progress }) => {
        const s = await backup(vault, sourcePath, {
          ...(project ? { project } : {}),
          signal,
          onProgress: (p) => progress({ phase: p.phase, files: p.files, filesTotal: p.filesTotal, bytes: p.bytes, bytesTotal: p.bytesTotal, current: p.current }),
        }).catch((err: unknown) => {
          throw withAdvice('backup', err);
        });
        return { snapshotId: s.snapshotId, project: s.project, files: s.files, bytes: s.bytes, storedBytes: s.storedBytes, warnings: s.warnings };
      });
    },
    'snapshot.list-dir': async ({ snapshotId, path, sort, dir, offset, limit }) => {
      const page = await listPage(ctx.session.vault, snapshot(snapshotId), path, { sort, dir, offset, limit });
      return { path, entries: page.entries, total: page.total, offset: page.offset };
    },
    'snapshot.find-in-dir': async ({ snapshotId, path, sort, dir, from, prefix }) => ({
      row: await findInFolder(ctx.session.vault, snapshot(snapshotId), path, { ...(sort ? { sort } : {}), ...(dir ? { dir } : {}), from, prefix }),
    }),
    'snapshot.read-file': async ({ snapshotId, path, offset, length }) => {
      const r = await readFileRange(ctx.session.vault, snapshot(snapshotId), path, offset, length);
      return { size: r.size, offset: r.offset, base64: Buffer.from(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength).toString('base64') };
    },
    'snapshots.diff': async ({ from, to, limit }) => {
      const d = await diffSnapshots(ctx.session.vault, snapshot(from), snapshot(to));
      const max = limit ?? 20_000;
      return { from: d.from, to: d.to, added: d.added, removed: d.removed, changed: d.changed, sizeDelta: d.sizeDelta, entries: d.entries.slice(0, max), truncated: d.entries.length > max };
    },
    'search.paths': async ({ query, limit }) => {
      const vault = ctx.session.vault;
      let index = indexes.get(vault);
      if (!index) indexes.set(vault, (index = new VaultPathIndex(vault)));
      await index.refresh();
      const t0 = performance.now();
      const found = index.index.search(query, limit ?? 200);
      return { results: found.results.map((r) => ({ ...r })), total: found.total, more: found.more, tookMs: performance.now() - t0 };
    },
    'search.status': () => ({ building: indexes.get(ctx.session.vault)?.progress ?? null }),
    'restore.start': ({ snapshotId, paths, target, conflict }) => {
      if (!isAbsolute(target)) throw new VaultError('invalid-argument', 'Give the full path of the folder to restore into.');
      checkRestoreFolder(target);
      const vault = ctx.session.vault;
      const s = snapshot(snapshotId);
      const project = vault.projectName(s.projectId);
      const what = paths && paths.length > 0 ? paths.join(', ') : 'the whole snapshot';
      return logged('restore', project, (r) => `Restored ${what} (${String(r['files'])} files) to ${target}.`, async ({ signal, progress }) => {
        const r = await restore(vault, s, target, {
          ...(paths && paths.length > 0 ? { paths } : {}),
          policy: conflict,
          signal,
          onProgress: (p) => progress({ phase: 'restoring', ...p }),
        }).catch((err: unknown) => {
          throw withAdvice('restore', err);
        });
        showable.restoredInto(r.target);
        return { project, target: r.target, files: r.files, dirs: r.dirs, bytes: r.bytes, skipped: r.skipped, renamed: r.renamed, warnings: r.problems };
      });
    },
    'export.start': ({ snapshotId, paths, target }) => {
      if (!isAbsolute(target)) throw new VaultError('invalid-argument', 'Give the full path of the zip file to write.');
      if (!target.toLowerCase().endsWith('.zip')) throw new VaultError('invalid-argument', "The export file's name must end in .zip.");
      checkExportFile(target);
      const vault = ctx.session.vault;
      const s = snapshot(snapshotId);
      const project = vault.projectName(s.projectId);
      return logged('export', project, (r) => `Exported ${String(r['files'])} files to ${target}.`, async ({ signal, progress }) => {
        const r = await exportZip(vault, s, target, { ...(paths && paths.length > 0 ? { paths } : {}), signal, onProgress: (p) => progress({ phase: 'exporting', ...p }) }).catch((err: unknown) => {
          throw withAdvice('export', err);
        });
        return { project, target: r.target, files: r.files, dirs: r.dirs, bytes: r.bytes, zipBytes: r.zipBytes, warnings: r.problems };
      });
    },
    'vault.stats': () => {
      const vault = ctx.session.vault;
      const names = new Map(vault.catalog.listProjects().map((p) => [p.id, p.name]));
      const growth = vault.catalog.listSnapshots().map((s) => ({ at: s.createdAt, project: names.get(s.projectId) ?? '?', totalBytes: s.totalBytes, storedBytes: s.storedBytes }));
      const stats = vaultStats(vault);
      // The catalog keeps the strategies' names as text; they are the codec module's own (as the blob writer reads them).
      const learned = [...(vault.catalog.strategyHistory() as Map<string, StrategyStats[]>)].map(([typeKey, rows]) => ({
        typeKey,
        samples: rows.reduce((n, r) => n + r.samples, 0),
        choice: chooseStrategy(rows) ?? null,
        bytesIn: rows.reduce((n, r) => n + r.bytesIn, 0),
        bytesOut: rows.reduce((n, r) => n + r.bytesOut, 0),
      }));
      learned.sort((a, b) => b.bytesIn - a.bytesIn);
      return { ...stats, growth, parityBytes: stats.parityBytes, learned };
    },
    'activity.list': ({ limit }) => ctx.session.vault.catalog.listActivity(limit ?? 500),
    'dialog.pick-folder': async ({ title }) => {
      if (!ctx.pickFolder) throw new VaultError('invalid-argument', 'There is no native folder picker here; type the folder path instead.');
      return { path: await ctx.pickFolder(title ?? 'Choose a folder') };
    },
    'app.show-folder': async ({ path }) => {
      if (!ctx.showFolder) throw new VaultError('invalid-argument', 'Opening a folder in the file manager works only in the desktop app; copy its path instead.');
      await ctx.showFolder(showable.check(path, projectSources()));
      return { shown: true as const };
    },
    'op.cancel': ({ opId }) => ({ cancelled: ctx.operations.cancel(opId) }),
    // Settings, keychain and locking
    ...createSettingsHandlers(ctx),
    // Health, snapshot notes and file history
    ...createHealthHandlers({ ...ctx, health }),
  };
}
