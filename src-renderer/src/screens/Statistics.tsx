/** Original vs stored size, what dedup and compression saved, the codec per file type, growth. Charts are plain SVG: no chart library for five bars. */
import { errorText, useCall } from '../api.tsx';
import { formatBytes, formatDate, plural } from '../lib/format.ts';

export function Statistics() {
  const stats = useCall('vault.stats', {});
  if (stats.error) return <p className="form-error pad">{errorText(stats.error)}</p>;
  if (!stats.data) return <p className="muted pad">Loading…</p>;
  const s = stats.data;
  const ratio = s.originalBytes > 0 ? s.storedBytes / s.originalBytes : 0;
  const bars = [
    { label: 'Original', value: s.originalBytes, cls: 'bar-original' },
    { label: 'After dedup', value: s.uniqueBytes, cls: 'bar-unique' },
    { label: 'Stored', value: s.storedBytes, cls: 'bar-stored' },
  ];
  const max = Math.max(1, ...bars.map((b) => b.value));
  const growthMax = Math.max(1, ...s.growth.map((g) => g.totalBytes));
  return (
    <div className="screen">
      <header className="screen-head">
        <h2>Statistics</h2>
      </header>
      <div className="cards">
        <Card label="Original size" value={formatBytes(s.originalBytes)} note={`${plural(s.snapshots, 'snapshot')} of ${plural(s.projects, 'project')}`} />
        <Card label="Stored on disk" value={formatBytes(s.storedBytes)} note={s.originalBytes ? `${(ratio * 100).toFixed(1)}% of the original` : ''} />
        <Card label="Saved by dedup" value={formatBytes(s.dedupSavedBytes)} note={`${plural(s.blobs, 'unique chunk')}`} />
        <Card label="Saved by compression" value={formatBytes(s.compressionSavedBytes)} note={`${plural(s.packs, 'pack')}`} />
      </div>
      <section className="chart-card card">
        <h3>Where the space went</h3>
        <svg className="chart" viewBox="0 0 400 96" role="img" aria-label={bars.map((b) => `${b.label}: ${formatBytes(b.value)}`).join(', ')}>
          {bars.map((b, i) => (
            <g key={b.label} transform={`translate(0 ${i * 32})`}>
              <text x="0" y="18" className="chart-label">
                {b.label}
              </text>
              <rect x="90" y="4" height="20" rx="3" width={Math.max(1, (b.value / max) * 230)} className={b.cls} />
              <text x={96 + (b.value / max) * 230} y="18" className="chart-value">
                {formatBytes(b.value)}
              </text>
            </g>
          ))}
        </svg>
      </section>
      {s.growth.length > 1 && (
        <section className="chart-card card">
          <h3>Growth over time</h3>
          <svg className="chart" viewBox={`0 0 ${Math.max(200, s.growth.length * 14)} 80`} role="img" aria-label={`Size of each of ${s.growth.length} snapshots, oldest first`}>
            {s.growth.map((g, i) => (
              <rect key={i} x={i * 14} y={76 - (g.totalBytes / growthMax) * 72} width="10" height={(g.totalBytes / growthMax) * 72 + 1} className="bar-original">
                <title>{`${g.project}, ${formatDate(g.at)}: ${formatBytes(g.totalBytes)} (${formatBytes(g.storedBytes)} added)`}</title>
              </rect>
            ))}
          </svg>
        </section>
      )}
      <section className="card">
        <h3>What the engine learned per file type</h3>
        {s.fileTypes.length === 0 ? (
          <p className="muted">Nothing yet.</p>
        ) : (
          <table className="table" aria-label="Compression per file type">
            <thead>
              <tr>
                <th scope="col">File type</th>
                <th scope="col">Strategy</th>
                <th scope="col" className="num">
                  In
                </th>
                <th scope="col" className="num">
                  Out
                </th>
                <th scope="col">Ratio</th>
              </tr>
            </thead>
            <tbody>
              {s.fileTypes.slice(0, 50).map((t) => {
                const r = t.bytesIn > 0 ? t.bytesOut / t.bytesIn : 1;
                return (
                  <tr key={`${t.typeKey}/${t.strategy}`}>
                    <td>{t.typeKey}</td>
                    <td>
                      <code>{t.strategy}</code>
                    </td>
                    <td className="num">{formatBytes(t.bytesIn)}</td>
                    <td className="num">{formatBytes(t.bytesOut)}</td>
                    <td>
                      <span className="ratio" role="img" aria-label={`${(r * 100).toFixed(0)}% of original`}>
                        <span style={{ width: `${Math.min(100, r * 100)}%` }} />
                      </span>{' '}
                      {(r * 100).toFixed(0)}%
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}

function Card({ label, value, note }: { label: string; value: string; note: string }) {
  return (
    <div className="card stat">
      <span className="muted">{label}</span>
      <strong className="stat-value">{value}</strong>
      <span className="muted small">{note}</span>
    </div>
  );
}
