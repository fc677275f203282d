/** Every backup, restore, export, unlock and lock, newest first. */
import { errorText, useCall } from '../api.tsx';
import { formatDate } from '../lib/format.ts';
import { DataTable } from '../components/DataTable.tsx';

export function Activity() {
  const log = useCall('activity.list', { limit: 500 });
  return (
    <div className="screen">
      <header className="screen-head">
        <h2>Activity</h2>
      </header>
      {log.error && <p className="form-error">{errorText(log.error)}</p>}
      {log.data && log.data.length === 0 && <p className="muted">Nothing has happened yet.</p>}
      {log.data && log.data.length > 0 && (
        <DataTable label="Activity log" columns={['When', 'What', 'Outcome', 'Details']}>
          {log.data.map((a) => (
            <tr key={a.id}>
              <td>{formatDate(a.at)}</td>
              <td className="cap">
                {a.kind}
                {a.project ? ` · ${a.project}` : ''}
              </td>
              <td>
                <span className={`badge ${a.outcome}`}>{a.outcome}</span>
              </td>
              <td>{a.detail}</td>
            </tr>
          ))}
        </DataTable>
      )}
    </div>
  );
}
