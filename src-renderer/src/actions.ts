/** Starting long jobs from any screen: call, then register the op so the panel shows it. */
import { useCallback } from 'react';
import type { CallArgs } from '../../src-shared/contract.ts';
import { useServices } from './api.tsx';

export function useJobs() {
  const { client, ops } = useServices();
  const backup = useCallback(
    async (sourcePath: string, project?: string) => {
      const { opId } = await client.call('backup.start', { sourcePath, ...(project ? { project } : {}) });
      ops.started(opId, 'backup', `Backup of ${project ?? sourcePath}`);
      return opId;
    },
    [client, ops],
  );
  const restore = useCallback(
    async (args: CallArgs<'restore.start'>, label: string) => {
      const { opId } = await client.call('restore.start', args);
      ops.started(opId, 'restore', `Restore of ${label} to ${args.target}`);
      return opId;
    },
    [client, ops],
  );
  const exportZip = useCallback(
    async (args: CallArgs<'export.start'>, label: string) => {
      const { opId } = await client.call('export.start', args);
      ops.started(opId, 'export', `Export of ${label} to ${args.target}`);
      return opId;
    },
    [client, ops],
  );
  const verify = useCallback(
    async (readData: boolean) => {
      const { opId } = await client.call('health.verify', { readData });
      ops.started(opId, 'verify', readData ? 'Full verify of the vault' : 'Quick verify of the vault');
      return opId;
    },
    [client, ops],
  );
  const repair = useCallback(async () => {
    const { opId } = await client.call('health.repair', {});
    ops.started(opId, 'repair', 'Repair of the vault');
    return opId;
  }, [client, ops]);
  return { backup, restore, exportZip, verify, repair };
}

/** Electron only: the file-system paths of files dropped on the page (feature-detected). */
export function droppedPaths(files: FileList | null): string[] {
  const bridge = window.mmry;
  if (!bridge?.pathForFile || !files) return [];
  const paths: string[] = [];
  for (const f of Array.from(files)) {
    const p = bridge.pathForFile(f);
    if (p) paths.push(p);
  }
  return paths;
}

export function canDropFiles(): boolean {
  return typeof window.mmry?.pathForFile === 'function';
}
