/**
 * Original vs stored size, what dedup and compression saved, the parity kept
 * for healing, growth over time, the codec mix and what the engine learned
 * per file type. The charts are plain SVG (a handful of bars and two lines
 * need no chart library): each is one labelled image whose name says what it
 * shows, with its numbers also in text or a table for screen readers.
 */
import { errorText, useCall } from '../api.tsx';
import { formatBytes, formatDate, plural } from '../lib/format.ts';
import { choiceLabel, codecMix, growthSeries, percent, strategyLabel, typeLabel } from '../lib/stats.ts';
import type { CodecShare, GrowthPoint } from '../lib/stats.ts';
import { DataTable } from '../components/DataTable.tsx';

export function Statistics() {
  const stats = useCall('vault.stats', {});
  if (stats.error) return <p className="form-error pad">{errorText(stats.error)}</p>;
  if (!stats.data) return <p className="muted pad">Loading…</p>;
  const s = stats.data;
  const bars = [
    { label: 'Original', value: s.originalBytes, cls: 'bar-original' },
    { label: 'After dedup', value: s.uniqueBytes, cls: 'bar-unique' },
    { label: 'Stored', value: s.storedBytes, cls: 'bar-stored' },
  ];
  const max = Math.max(1, ...bars.map((b) => b.value));
  const tried = new Map<string, string>();
  for (const t of s.fileTypes) tried.set(t.typeKey, [tried.get(t.typeKey), `${strategyLabel(t.strategy)} ×${t.samples}`].filter(Boolean).join(', '));
  return (
    <div className="screen">
      <header className="screen-head">
        <h2>Statistics</h2>
      </header>
      <div className="cards">
        <Card label="Original size" value={formatBytes(s.originalBytes)} note={`${plural(s.snapshots, 'snapshot')} of ${plural(s.projects, 'project')}, each counted whole`} />
        <Card label="Stored on disk" value={formatBytes(s.storedBytes)} note={s.originalBytes ? `${percent(s.storedBytes, s.originalBytes)} of the original, in ${plural(s.packs, 'pack')}` : plural(s.packs, 'pack')} />
        <Card label="Saved by dedup" value={formatBytes(s.dedupSavedBytes)} note={`${percent(s.dedupSavedBytes, s.originalBytes)} · ${plural(s.chunks, 'unique chunk')}`} />
        <Card label="Saved by compression" value={formatBytes(s.compressionSavedBytes)} note={`${percent(s.compressionSavedBytes, s.uniqueBytes)} of the unique data`} />
        <Card label="Parity for self-healing" value={formatBytes(s.parityBytes)} note={s.storedBytes ? `${percent(s.parityBytes, s.storedBytes)} on top of the packs` : ''} />
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
      <section className="chart-card card">
        <h3>Growth over time</h3>
        {s.growth.length === 0 ? <p className="muted">No snapshots yet.</p> : <GrowthChart points={growthSeries(s.growth)} />}
      </section>
      <section className="chart-card card">
        <h3>Codec mix</h3>
        {s.fileTypes.length === 0 ? <p className="muted">Nothing compressed yet.</p> : <CodecChart mix={codecMix(s.fileTypes)} />}
      </section>
      <section className="card">
        <h3>What the engine learned per file type</h3>
        <p className="muted small">Each file type starts by trying every codec; once enough of its chunks have been seen, the engine keeps to the one that wins, or stores them as they are when nothing saves space.</p>
        {s.learned.length === 0 ? (
          <p className="muted">Nothing yet.</p>
        ) : (
          <DataTable label="Compression per file type" columns={['File type', { label: 'Chunks', num: true }, 'Next chunk', 'Tried', { label: 'In', num: true }, { label: 'Out', num: true }, 'Size after']}>
            {s.learned.slice(0, 50).map((t) => {
              const r = t.bytesIn > 0 ? t.bytesOut / t.bytesIn : 1;
              return (
                <tr key={t.typeKey}>
                  <td>
                    <span title={t.typeKey}>{typeLabel(t.typeKey)}</span>
                  </td>
                  <td className="num">{t.samples.toLocaleString('en')}</td>
                  <td>{choiceLabel(t.choice)}</td>
                  <td className="muted small">{tried.get(t.typeKey) ?? ''}</td>
                  <td className="num">{formatBytes(t.bytesIn)}</td>
                  <td className="num">{formatBytes(t.bytesOut)}</td>
                  <td>
                    <span className="ratio" aria-hidden>
                      <span style={{ width: `${Math.min(100, r * 100)}%` }} />
                    </span>{' '}
                    {percent(t.bytesOut, t.bytesIn)}
                  </td>
                </tr>
              );
            })}
          </DataTable>
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

const G = { width: 600, height: 190, left: 70, right: 14, top: 10, bottom: 28 };

/** Two running totals after each snapshot: every snapshot as a full copy, and what the vault stores. */
function GrowthChart({ points }: { points: GrowthPoint[] }) {
  const first = points[0]!;
  const last = points.at(-1)!;
  const max = Math.max(1, last.originalBytes, last.storedBytes);
  const span = last.at - first.at;
  const plotW = G.width - G.left - G.right;
  const plotH = G.height - G.top - G.bottom;
  const x = (at: number) => G.left + (span > 0 ? ((at - first.at) / span) * plotW : plotW / 2);
  const y = (v: number) => G.top + (1 - v / max) * plotH;
  const line = (pick: (p: GrowthPoint) => number) => points.map((p) => `${x(p.at).toFixed(1)},${y(pick(p)).toFixed(1)}`).join(' ');
  const series = [
    { name: 'Every snapshot as a full copy', pick: (p: GrowthPoint) => p.originalBytes, cls: 'line-original' },
    { name: 'Stored in the vault', pick: (p: GrowthPoint) => p.storedBytes, cls: 'line-stored' },
  ];
  const summary = `After ${plural(points.length, 'snapshot')}, from ${formatDate(first.at)} to ${formatDate(last.at)}: every snapshot as a full copy would take ${formatBytes(last.originalBytes)}; the vault stores ${formatBytes(last.storedBytes)}.`;
  return (
    <>
      <ul className="legend" aria-hidden>
        {series.map((s) => (
          <li key={s.cls}>
            <span className={`swatch ${s.cls}`} /> {s.name}
          </li>
        ))}
      </ul>
      <svg className="chart growth" viewBox={`0 0 ${G.width} ${G.height}`} role="img" aria-label={`Growth over time. ${summary}`}>
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line x1={G.left} x2={G.width - G.right} y1={y(max * f)} y2={y(max * f)} className="grid" />
            <text x={G.left - 6} y={y(max * f) + 4} textAnchor="end" className="chart-label">
              {formatBytes(max * f)}
            </text>
          </g>
        ))}
        <text x={G.left} y={G.height - 8} className="chart-label">
          {new Date(first.at).toLocaleDateString()}
        </text>
        {span > 0 && (
          <text x={G.width - G.right} y={G.height - 8} textAnchor="end" className="chart-label">
            {new Date(last.at).toLocaleDateString()}
          </text>
        )}
        {series.map((s) => (
          <g key={s.cls} className={s.cls}>
            {points.length > 1 && <polyline points={line(s.pick)} fill="none" />}
            {points.map((p, i) => (
              <circle key={i} cx={x(p.at)} cy={y(s.pick(p))} r="3">
                <title>{`${s.name}, ${formatDate(p.at)}: ${formatBytes(s.pick(p))}`}</title>
              </circle>
            ))}
          </g>
        ))}
      </svg>
      <details className="chart-table">
        <summary>Growth as a table</summary>
        <DataTable label="Growth after each snapshot" columns={['Snapshot taken', { label: 'As full copies', num: true }, { label: 'Stored', num: true }]}>
          {points.map((p, i) => (
            <tr key={i}>
              <td>{formatDate(p.at)}</td>
              <td className="num">{formatBytes(p.originalBytes)}</td>
              <td className="num">{formatBytes(p.storedBytes)}</td>
            </tr>
          ))}
        </DataTable>
      </details>
    </>
  );
}

/** One bar split by codec, in proportion to the bytes each was given, with a legend that carries the numbers. */
function CodecChart({ mix }: { mix: CodecShare[] }) {
  let at = 0;
  const summary = mix.map((c) => `${c.label}: ${percent(c.share, 1)} of the data`).join(', ');
  return (
    <>
      <svg className="chart codec-mix" viewBox="0 0 400 24" role="img" aria-label={`Codec mix. ${summary}`}>
        {mix.map((c, i) => {
          const w = c.share * 400;
          const rect = <rect key={c.strategy} x={at} y="2" width={Math.max(w, c.share > 0 ? 1 : 0)} height="20" className={`codec-${i % 4}`} />;
          at += w;
          return rect;
        })}
      </svg>
      <ul className="legend codec-legend">
        {mix.map((c, i) => (
          <li key={c.strategy}>
            <span className={`swatch codec-${i % 4}`} aria-hidden /> <strong>{c.label}</strong> {percent(c.share, 1)} of the data · {plural(c.blobs, 'chunk')} · {formatBytes(c.bytesIn)} → {formatBytes(c.bytesOut)}
          </li>
        ))}
      </ul>
    </>
  );
}
