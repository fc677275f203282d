/**
 * The contract's implementation: one handler per call in
 * `src-shared/contract.ts`. Handlers receive arguments already validated by
 * the dispatcher and may throw VaultError for a typed failure.
 *
 * The same handlers serve both transports; what differs between them
 * (Electron or `mmry serve`) arrives in `AppContext`.
 */
import { isAbsolute } from 'node:path';
import { VaultError } from '../engine/errors.ts';
import { backup } from '../engine/vault/index.ts';
import type { Handlers } from './dispatch.ts';
import type { Operations } from './operations.ts';
import type { VaultSession } from './session.ts';

export interface AppContext {
  transport: 'electron' | 'serve';
  appVersion: string;
  operations: Operations;
  session: VaultSession;
}

export function createHandlers(ctx: AppContext): Handlers {
  return {
    'app.info': () => ({
      name: 'MMRY Vault',
      version: ctx.appVersion,
      platform: process.platform,
      nodeVersion: process.versions.node,
      transport: ctx.transport,
    }),
    'vault.status': () => ({ path: ctx.session.path, exists: ctx.session.exists, unlocked: ctx.session.unlocked }),
    'vault.create': async ({ password }) => {
      await ctx.session.create(password);
      return { path: ctx.session.path };
    },
    'vault.unlock': async ({ password }) => {
      await ctx.session.unlock(password);
      return { path: ctx.session.path };
    },
    'vault.lock': async () => {
      await ctx.session.lock('user');
      return {};
    },
    'projects.list': () =>
      ctx.session.vault.listProjects().map((p) => ({ name: p.name, sourcePath: p.sourcePath, snapshotCount: p.snapshotCount, lastSnapshotAt: p.lastSnapshotAt, totalBytes: p.totalBytes })),
    'snapshots.list': ({ project }) => {
      const vault = ctx.session.vault;
      const p = project === undefined ? undefined : vault.catalog.getProject(project);
      if (project !== undefined && !p) throw new VaultError('not-found', `There is no project named '${project}'.`);
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
        }));
    },
    'backup.start': ({ sourcePath, project }) => {
      if (!isAbsolute(sourcePath)) throw new VaultError('invalid-argument', 'Give the full path of the folder to back up.');
      const vault = ctx.session.vault;
      return ctx.operations.start('backup', async ({ signal, progress }) => {
        const s = await backup(vault, sourcePath, {
          ...(project ? { project } : {}),
          signal,
          onProgress: (p) => progress({ phase: p.phase, files: p.files, filesTotal: p.filesTotal, bytes: p.bytes, bytesTotal: p.bytesTotal, current: p.current }),
        });
        return { snapshotId: s.snapshotId, project: s.project, files: s.files, bytes: s.bytes, storedBytes: s.storedBytes, warnings: s.warnings };
      });
    },
    'op.cancel': ({ opId }) => ({ cancelled: ctx.operations.cancel(opId) }),
  };
}
