/**
 * Every version of one file across the project's snapshots, newest first.
 * A version is a run of snapshots holding the same content; pick one to
 * preview it, compare it with the version before (a line diff for text), or
 * restore it.
 */
import { GitCompare, Eye, RotateCcw, X } from 'lucide-react';
import { useState } from 'react';
import type { CallResult } from '../../../src-shared/contract.ts';
import { errorText, useCall } from '../api.tsx';
import { formatBytes, formatDate, formatDelta, plural } from '../lib/format.ts';
import { TextDiff } from './Changes.tsx';
import { Preview } from './Preview.tsx';

type Version = CallResult<'file.history'>['versions'][number];

export interface FileHistoryProps {
  project: string;
  path: string;
  onClose: () => void;
  onRestore: (snapshotId: string, label: string) => void;
}

export function FileHistory({ project, path, onClose, onRestore }: FileHistoryProps) {
  const history = useCall('file.history', { project, path });
  const [view, setView] = useState<{ version: number; mode: 'preview' | 'diff' } | null>(null);
  const name = path.slice(path.lastIndexOf('/') + 1);
  const versions = history.data?.versions ?? [];
  const newestFirst = [...versions].reverse();
  const shown = view ? versions[view.version - 1] : undefined;
  const before = shown ? versions[shown.number - 2] : undefined;

  return (
    <section className="history" aria-label={`History of ${name}`}>
      <header className="preview-head">
        <h3>History of {name}</h3>
        <button type="button" className="icon" aria-label="Close the history" onClick={onClose}>
          <X size={16} aria-hidden />
        </button>
      </header>
      {history.error && <p className="form-error">{errorText(history.error)}</p>}
      {history.data && (
        <p className="muted" role="status">
          {versions.length === 0
            ? `No snapshot of ${project} holds ${path}.`
            : `${plural(versions.length, 'version')} in ${plural(history.data.snapshotsChecked, 'snapshot')}${history.data.inLatest ? '' : '; not in the newest snapshot'}.`}
        </p>
      )}
      <ol className="versions" aria-label="Versions">
        {newestFirst.map((v) => (
          <li key={v.number} className={view?.version === v.number ? 'current' : ''}>
            <div className="version-head">
              <strong>Version {v.number}</strong>
              <span className={`badge ${v.change === 'returned' ? 'changed' : v.change}`}>{v.change === 'returned' ? 'back' : v.change}</span>
              <span className="muted">{describe(v, versions)}</span>
            </div>
            <div className="muted small">
              {v.snapshots === 1 ? formatDate(v.createdAt) : `${formatDate(v.createdAt)} – ${formatDate(v.lastAt)} (${plural(v.snapshots, 'snapshot')})`}
            </div>
            <div className="version-actions">
              {v.type === 'file' && (
                <button type="button" aria-pressed={view?.version === v.number && view.mode === 'preview'} onClick={() => setView({ version: v.number, mode: 'preview' })} aria-label={`Preview version ${v.number}`}>
                  <Eye size={14} aria-hidden /> Preview
                </button>
              )}
              {v.type === 'file' && v.number > 1 && versions[v.number - 2]!.type === 'file' && (
                <button type="button" aria-pressed={view?.version === v.number && view.mode === 'diff'} onClick={() => setView({ version: v.number, mode: 'diff' })} aria-label={`Compare with previous: version ${v.number} with version ${v.number - 1}`}>
                  <GitCompare size={14} aria-hidden /> Compare with previous
                </button>
              )}
              <button type="button" onClick={() => onRestore(v.snapshotId, `${name} (version ${v.number})`)} aria-label={`Restore version ${v.number}`}>
                <RotateCcw size={14} aria-hidden /> Restore…
              </button>
            </div>
          </li>
        ))}
      </ol>
      {shown && view?.mode === 'preview' && <Preview key={`${shown.snapshotId}:${path}`} snapshotId={shown.snapshotId} path={path} name={name} />}
      {shown && before && view?.mode === 'diff' && <TextDiff from={before.lastSnapshotId} to={shown.snapshotId} path={path} />}
    </section>
  );
}

/** "12.0 KB, +1.20 KB" for a change; "same as version 1" when the file went back. */
function describe(v: Version, versions: Version[]): string {
  if (v.type !== 'file') return v.type === 'dir' ? 'folder' : 'link';
  const prev = versions[v.number - 2];
  const size = formatBytes(v.size);
  if (v.sameAs !== null) return `${size}, same as version ${v.sameAs}`;
  return prev && prev.type === 'file' && v.change === 'changed' ? `${size}, ${formatDelta(v.size - prev.size)}` : size;
}
