/** One project: its snapshots as a timeline, and the chosen snapshot's files (browse) or changes. */
import * as Tabs from '@radix-ui/react-tabs';
import { Archive, FolderOpen, History, RefreshCw, RotateCcw, Tags } from 'lucide-react';
import { useState } from 'react';
import type { CallResult } from '../../../src-shared/contract.ts';
import { errorText, useCall, useClient } from '../api.tsx';
import { useJobs } from '../actions.ts';
import { Browser } from '../components/Browser.tsx';
import { Changes } from '../components/Changes.tsx';
import { WithContextMenu } from '../components/ContextMenu.tsx';
import type { MenuAction } from '../components/ContextMenu.tsx';
import { FileHistory } from '../components/FileHistory.tsx';
import { LabelsDialog } from '../components/SnapshotLabels.tsx';
import { JobDialog } from '../components/Dialogs.tsx';
import type { JobRequest } from '../components/Dialogs.tsx';
import { Preview } from '../components/Preview.tsx';
import { formatBytes, formatDate, formatDelta, plural } from '../lib/format.ts';
import { tagsIn } from '../lib/labels.ts';
import type { Entry } from '../lib/tree-model.ts';
import type { Route } from '../route.ts';
import { FormError } from '../components/FormError.tsx';

type ProjectRoute = Extract<Route, { name: 'project' }>;

export function Project({ route, go, nativeDialogs }: { route: ProjectRoute; go: (r: Route) => void; nativeDialogs: boolean }) {
  const snapshots = useCall('snapshots.list', { project: route.project });
  const projects = useCall('projects.list', {});
  const info = useCall('app.info', {}, { staleTime: Infinity });
  const client = useClient();
  const jobs = useJobs();
  const [dialog, setDialog] = useState<JobRequest | null>(null);
  const [preview, setPreview] = useState<Entry | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [labelling, setLabelling] = useState<CallResult<'snapshots.list'>[number] | null>(null);
  const [tagFilter, setTagFilter] = useState('');
  const list = snapshots.data ?? [];
  const tags = tagsIn(list);
  const shownList = tagFilter && tags.includes(tagFilter) ? list.filter((s) => s.tags.includes(tagFilter)) : list;
  const current = list.find((s) => s.id === route.snapshotId) ?? list[0];
  const path = route.path ?? '';
  const source = projects.data?.find((p) => p.name === route.project)?.sourcePath;
  const set = (patch: Partial<ProjectRoute>) => go({ ...route, ...patch });
  // A snapshot's context menu (native in the desktop app).
  const snapshotActions = (s: (typeof list)[number]): MenuAction[] => [
    { id: 'browse', label: 'Browse', run: () => set({ snapshotId: s.id, path: '', select: undefined, tab: 'browse' }) },
    { id: 'changes', label: 'Show changes', run: () => set({ snapshotId: s.id, path: '', select: undefined, tab: 'changes' }) },
    'separator',
    { id: 'labels', label: 'Note and tags…', run: () => setLabelling(s) },
    { id: 'restore', label: 'Restore snapshot…', run: () => setDialog({ kind: 'restore', snapshotId: s.id, paths: [], label: `snapshot of ${formatDate(s.createdAt)}` }) },
    { id: 'export', label: 'Export zip…', run: () => setDialog({ kind: 'export', snapshotId: s.id, paths: [], label: route.project }) },
  ];

  // Desktop app only: the project's own folder in the OS file manager.
  const showSource = async () => {
    if (!source) return;
    setError(null);
    try {
      await client.call('app.show-folder', { path: source });
    } catch (err) {
      setError(errorText(err));
    }
  };

  const backupNow = async () => {
    if (!source) return;
    setError(null);
    try {
      await jobs.backup(source, route.project);
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <div className="screen project">
      <header className="screen-head">
        <h2>{route.project}</h2>
        {source && <code className="path muted">{source}</code>}
        <div className="spacer" />
        {info.data?.openFolders && source && (
          <button type="button" onClick={() => void showSource()}>
            <FolderOpen size={16} aria-hidden /> Show in file manager
          </button>
        )}
        <button type="button" onClick={() => void backupNow()} disabled={!source}>
          <RefreshCw size={16} aria-hidden /> Back up now
        </button>
      </header>
      <FormError message={error} />
      {snapshots.error && <p className="form-error">{errorText(snapshots.error)}</p>}
      <div className="project-body">
        <nav className="timeline" aria-label="Snapshots">
          <h3>
            <History size={16} aria-hidden /> Snapshots
          </h3>
          {tags.length > 0 && (
            <label className="tag-filter">
              Show{' '}
              <select value={tagFilter} onChange={(e) => setTagFilter(e.target.value)}>
                <option value="">every snapshot</option>
                {tags.map((t) => (
                  <option key={t} value={t}>
                    tagged “{t}”
                  </option>
                ))}
              </select>
            </label>
          )}
          <ol>
            {shownList.map((s) => (
              <li key={s.id}>
                <WithContextMenu actions={snapshotActions(s)}>
                  <button type="button" className={`snap${s.id === current?.id ? ' current' : ''}`} aria-current={s.id === current?.id ? 'true' : undefined} onClick={() => set({ snapshotId: s.id, path: '', select: undefined })}>
                    <span className="snap-date">{formatDate(s.createdAt)}</span>
                    <span className="snap-meta muted">
                      {formatDelta(s.newBytes)} new · {s.filesNew + s.filesChanged > 0 ? `${plural(s.filesChanged, 'file')} changed, ${s.filesNew} new` : 'no changes'}
                    </span>
                    <span className="snap-meta muted">
                      {plural(s.files, 'file')}, {formatBytes(s.totalBytes)}
                      {s.warnings > 0 ? ` · ${plural(s.warnings, 'warning')}` : ''}
                    </span>
                    {s.note && <span className="snap-note">{s.note}</span>}
                    {s.tags.length > 0 && (
                      <span className="snap-tags">
                        <span className="sr-only">Tags: {s.tags.join(', ')}</span>
                        {s.tags.map((t) => (
                          <span key={t} className="tag" aria-hidden>
                            {t}
                          </span>
                        ))}
                      </span>
                    )}
                  </button>
                </WithContextMenu>
              </li>
            ))}
          </ol>
        </nav>
        {current && (
          <Tabs.Root className="snapshot-view" value={route.tab ?? 'browse'} onValueChange={(v) => set({ tab: v as 'browse' | 'changes' })}>
            <div className="snapshot-bar">
              <Tabs.List className="tabs" aria-label="Snapshot views">
                <Tabs.Trigger className="tab" value="browse">
                  Browse
                </Tabs.Trigger>
                <Tabs.Trigger className="tab" value="changes">
                  Changes
                </Tabs.Trigger>
              </Tabs.List>
              <div className="spacer" />
              <button type="button" onClick={() => setLabelling(current)}>
                <Tags size={16} aria-hidden /> Note and tags…
              </button>
              <button type="button" onClick={() => setDialog({ kind: 'restore', snapshotId: current.id, paths: [], label: `snapshot of ${formatDate(current.createdAt)}` })}>
                <RotateCcw size={16} aria-hidden /> Restore snapshot…
              </button>
              <button type="button" onClick={() => setDialog({ kind: 'export', snapshotId: current.id, paths: [], label: route.project })}>
                <Archive size={16} aria-hidden /> Export zip…
              </button>
            </div>
            <Tabs.Content value="browse" className="tab-body browse-body">
              <Browser
                snapshotId={current.id}
                rootLabel={route.project}
                path={path}
                selected={route.select ?? null}
                onNavigate={(p, select) => {
                  setPreview(null);
                  set({ path: p, select: select ?? undefined, snapshotId: current.id, history: undefined });
                }}
                onSelect={(e) => set({ select: e?.path, snapshotId: current.id })}
                onOpenFile={(e) => setPreview(e)}
                onRestore={(paths, label) => setDialog({ kind: 'restore', snapshotId: current.id, paths, label })}
                onExport={(paths, label) => setDialog({ kind: 'export', snapshotId: current.id, paths, label })}
                onHistory={(e) => {
                  setPreview(null);
                  set({ history: e.path, select: e.path, snapshotId: current.id });
                }}
              />
              {route.history ? (
                <FileHistory
                  key={route.history}
                  project={route.project}
                  path={route.history}
                  onClose={() => set({ history: undefined })}
                  onRestore={(snapshotId, label) => setDialog({ kind: 'restore', snapshotId, paths: [route.history!], label })}
                />
              ) : (
                preview && <Preview key={`${current.id}:${preview.path}`} snapshotId={current.id} path={preview.path} name={preview.name} />
              )}
            </Tabs.Content>
            <Tabs.Content value="changes" className="tab-body">
              <Changes snapshots={list} to={current.id} />
            </Tabs.Content>
          </Tabs.Root>
        )}
      </div>
      <JobDialog request={dialog} onClose={() => setDialog(null)} nativeDialogs={nativeDialogs} originalFolder={source} />
      <LabelsDialog snapshot={labelling} onClose={() => setLabelling(null)} />
    </div>
  );
}
