/** Starting long jobs from any screen: call, then register the op so the panel shows it; and carrying out a drop. */
import { useCallback } from 'react';
import type { CallArgs, CallResult } from '../../src-shared/contract.ts';
import { errorText, useServices } from './api.tsx';
import { planDrop } from './lib/drop.ts';
import type { DroppedItem } from './lib/drop.ts';
import type { OpsStore } from './ops.ts';

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

/** What a drop on the window is doing: a sentence per folder backed up, and what could not be done. */
export interface DropReport {
  notes: string[];
  problems: string[];
}

/**
 * Carries out a drop (see lib/drop.ts for what it means): one backup after
 * another, since a vault takes one writer at a time. `report` is told the
 * plan at once and again whenever a backup could not start.
 */
export function useDrop(report: (r: DropReport) => void) {
  const { client, ops } = useServices();
  const { backup } = useJobs();
  return useCallback(
    async (items: DroppedItem[]) => {
      let projects: CallResult<'projects.list'> = [];
      try {
        projects = await client.call('projects.list', {});
      } catch {
        // Planned as new folders then; the backup itself says what is wrong.
      }
      const plan = planDrop(items, projects);
      let problems = plan.problems;
      const notes = plan.backups.map((b) => b.note);
      report({ notes, problems });
      for (const b of plan.backups) {
        try {
          await opEnded(ops, await backup(b.sourcePath, b.project));
        } catch (err) {
          problems = [...problems, errorText(err)];
          report({ notes, problems });
        }
      }
    },
    [client, ops, backup, report],
  );
}

/** Resolves once the op has ended, or has left the store (dismissed, or the vault locked). */
export function opEnded(ops: OpsStore, opId: string): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      const op = ops.snapshot().find((o) => o.opId === opId);
      if (op && !op.finished) return;
      off();
      resolve();
    };
    const off = ops.subscribe(check);
    check();
  });
}

/** The desktop app can tell where a dropped item is on disk (webUtils.getPathForFile in the preload). */
export function pathForDroppedFile(): ((file: File) => string) | undefined {
  const bridge = window.mmry;
  return bridge?.pathForFile ? (file) => bridge.pathForFile!(file) : undefined;
}

export function canDropFiles(): boolean {
  return typeof window.mmry?.pathForFile === 'function';
}
