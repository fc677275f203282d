/** Search by name or path across every snapshot of every project, as you type. */
import { keepPreviousData } from '@tanstack/react-query';
import { File, Folder, Search as SearchIcon } from 'lucide-react';
import { useDeferredValue, useId } from 'react';
import { errorText, useCall } from '../api.tsx';
import { formatBytes, formatDate, plural } from '../lib/format.ts';
import { parentPath } from '../lib/tree-model.ts';
import type { Route } from '../route.ts';

export function Search({ query, setQuery, go }: { query: string; setQuery: (q: string) => void; go: (r: Route) => void }) {
  const deferred = useDeferredValue(query.trim());
  const found = useCall('search.paths', { query: deferred, limit: 200 }, { enabled: deferred.length > 0, placeholderData: keepPreviousData });
  const id = useId();
  const data = deferred ? found.data : undefined;
  // No answer yet: the first search after unlock (or after a backup) waits for the index; say how far it has got.
  const waiting = deferred.length > 0 && found.isFetching && (!data || found.isPlaceholderData);
  const status = useCall('search.status', {}, { enabled: waiting, refetchInterval: 250 });
  const building = waiting ? status.data?.building : undefined;
  return (
    <div className="screen">
      <header className="screen-head">
        <h2>Search</h2>
      </header>
      <div className="search-box">
        <SearchIcon size={16} aria-hidden />
        <label htmlFor={id} className="sr-only">
          Search every snapshot by name or path
        </label>
        <input id={id} type="search" placeholder="Name or path, in every snapshot of every project" value={query} onChange={(e) => setQuery(e.target.value)} autoFocus spellCheck={false} />
      </div>
      {found.error && <p className="form-error">{errorText(found.error)}</p>}
      {building && (
        <div className="search-building" aria-live="polite">
          <p className="muted">
            Building the search index: {building.indexed} of {plural(building.snapshots, 'snapshot')} read ({plural(building.folders, 'folder')}, {plural(building.paths, 'path')} so far)
          </p>
          <div className="progress" role="progressbar" aria-label="Search index built" aria-valuemin={0} aria-valuemax={building.snapshots} aria-valuenow={building.indexed}>
            <span style={{ width: `${(100 * building.indexed) / Math.max(1, building.snapshots)}%` }} />
          </div>
        </div>
      )}
      {data && (
        <p className="muted" role="status">
          {data.total === 0 ? 'Nothing matches.' : `${plural(data.total, 'match', 'matches')}${data.more ? '+' : ''}${data.total > data.results.length ? `, showing ${data.results.length}` : ''} · ${data.tookMs.toFixed(1)} ms`}
        </p>
      )}
      {data && data.results.length > 0 && (
        <ul className="results" aria-label="Search results">
          {data.results.map((r) => (
            <li key={`${r.project}/${r.path}`}>
              <button
                type="button"
                className="result"
                onClick={() => go({ name: 'project', project: r.project, snapshotId: r.snapshotId, path: r.type === 'dir' ? r.path : parentPath(r.path), select: r.type === 'dir' ? undefined : r.path, tab: 'browse' })}
              >
                {r.type === 'dir' ? <Folder size={16} aria-hidden className="ic-dir" /> : <File size={16} aria-hidden />}
                <span className="result-path">
                  <strong>{r.path.slice(r.path.lastIndexOf('/') + 1)}</strong>
                  <span className="muted">
                    {r.project}/{r.path}
                  </span>
                </span>
                <span className="muted result-meta">
                  {r.type === 'file' ? `${formatBytes(r.size)} · ` : ''}in {plural(r.versions, 'snapshot')}, latest {formatDate(r.createdAt)}
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
