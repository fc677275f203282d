/** The projects list, adding a folder (path field, native picker or drop) and backing up again. */
import { FolderPlus, HardDriveUpload, RefreshCw, X } from 'lucide-react';
import { useEffect, useId, useRef, useState } from 'react';
import type { FormEvent } from 'react';
import { errorText, useCall, useClient } from '../api.tsx';
import { useJobs } from '../actions.ts';
import type { DropReport } from '../actions.ts';
import { HealthBadge } from '../components/HealthBadge.tsx';
import { ProjectLink } from '../components/ProjectLink.tsx';
import { formatBytes, formatDate, formatRelative, plural } from '../lib/format.ts';
import type { Route } from '../route.ts';
import { DataTable } from '../components/DataTable.tsx';
import { FormError } from '../components/FormError.tsx';

interface ProjectsProps {
  go: (r: Route) => void;
  nativeDialogs: boolean;
  dropEnabled: boolean;
  /** What the last drop on the window did. */
  dropReport: DropReport | null;
  dismissDropReport: () => void;
  /** The menu's Add Folder… (Ctrl+O) was used: open the picker, or focus the path field; then `addHandled`. */
  addRequested: boolean;
  addHandled: () => void;
}

export function Projects({ go, nativeDialogs, dropEnabled, dropReport, dismissDropReport, addRequested, addHandled }: ProjectsProps) {
  const projects = useCall('projects.list', {});
  const jobs = useJobs();
  const client = useClient();
  const [path, setPath] = useState('');
  const [error, setError] = useState<string | null>(null);
  const inputId = useId();
  const pathField = useRef<HTMLInputElement>(null);

  const add = async (sourcePath: string) => {
    setError(null);
    try {
      await jobs.backup(sourcePath);
      setPath('');
    } catch (err) {
      setError(errorText(err));
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (path.trim()) void add(path.trim());
  };
  const pick = async () => {
    try {
      const { path: chosen } = await client.call('dialog.pick-folder', { title: 'Add a project folder' });
      if (chosen) await add(chosen);
    } catch (err) {
      setError(errorText(err));
    }
  };
  useEffect(() => {
    if (!addRequested) return;
    addHandled();
    if (nativeDialogs) void pick();
    else pathField.current?.focus();
  });

  return (
    <div className="screen">
      <header className="screen-head">
        <h2>Projects</h2>
        {nativeDialogs && (
          <button type="button" className="primary" onClick={() => void pick()}>
            <FolderPlus size={16} aria-hidden /> Add folder…
          </button>
        )}
      </header>
      {!nativeDialogs && (
        <form className="add-folder" onSubmit={submit}>
          <label htmlFor={inputId}>Folder to keep safe</label>
          <div className="field-row">
            <input id={inputId} ref={pathField} type="text" placeholder="/home/you/projects/site" value={path} onChange={(e) => setPath(e.target.value)} spellCheck={false} />
            <button type="submit" className="primary" disabled={!path.trim()}>
              <FolderPlus size={16} aria-hidden /> Add and back up
            </button>
          </div>
        </form>
      )}
      {dropEnabled && (
        <p className="drop-hint muted">
          <HardDriveUpload size={16} aria-hidden /> Or drop folders or files anywhere on this window: a folder becomes a project (one that already is gets a new snapshot), and a file brings the folder that holds it.
        </p>
      )}
      {dropReport && (
        <section className="drop-report card" aria-label="Dropped items">
          <div className="field-row">
            <h3>Dropped on the window</h3>
            <div className="spacer" />
            <button type="button" className="icon" aria-label="Dismiss what the drop did" onClick={dismissDropReport}>
              <X size={16} aria-hidden />
            </button>
          </div>
          <div role="status">
            <ul>
              {dropReport.notes.map((n) => (
                <li key={n}>{n}</li>
              ))}
            </ul>
          </div>
          {dropReport.problems.length > 0 && (
            <div role="alert" className="form-error">
              <ul>
                {dropReport.problems.map((p) => (
                  <li key={p}>{p}</li>
                ))}
              </ul>
            </div>
          )}
        </section>
      )}
      <FormError message={error} />
      {projects.isPending && <p className="muted">Loading projects…</p>}
      {projects.error && <p className="form-error">{errorText(projects.error)}</p>}
      {projects.data && projects.data.length === 0 && (
        <div className="empty">
          <h3>No projects yet</h3>
          <p className="muted">Add a folder and MMRY Vault keeps it as versioned, deduplicated, encrypted snapshots.</p>
        </div>
      )}
      {projects.data && projects.data.length > 0 && (
        <DataTable label="Projects" className="projects" columns={['Name', 'Folder', 'Last snapshot', { label: 'Size', num: true }, { label: 'Snapshots', num: true }, 'Health', { label: 'Actions', hidden: true }]}>
          {projects.data.map((p) => (
            <tr key={p.name}>
              <td>
                <ProjectLink name={p.name} go={go} />
              </td>
              <td>
                <code className="path">{p.sourcePath}</code>
              </td>
              <td title={p.lastSnapshotAt ? formatDate(p.lastSnapshotAt) : ''}>{p.lastSnapshotAt ? formatRelative(p.lastSnapshotAt, Date.now()) : 'never'}</td>
              <td className="num">{formatBytes(p.totalBytes)}</td>
              <td className="num">{plural(p.snapshotCount, 'snapshot')}</td>
              <td>
                <HealthBadge badge={p.health} />
              </td>
              <td>
                <button type="button" onClick={() => void add(p.sourcePath)} aria-label={`Back up now: ${p.name}`}>
                  <RefreshCw size={14} aria-hidden /> Back up now
                </button>
              </td>
            </tr>
          ))}
        </DataTable>
      )}
    </div>
  );
}
