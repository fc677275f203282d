/** The difference between two snapshots, and a line diff for a changed text file. */
import { diffLines } from 'diff';
import { useEffect, useMemo, useState } from 'react';
import type { CallResult } from '../../../src-shared/contract.ts';
import { errorText, useCall, useClient } from '../api.tsx';
import { base64ToBytes, looksLikeText, trimPartialUtf8 } from '../lib/content.ts';
import { formatBytes, formatDate, formatDelta, plural } from '../lib/format.ts';

type Snapshot = CallResult<'snapshots.list'>[number];
const TEXT_LIMIT = 1024 * 1024;

export function Changes({ snapshots, to }: { snapshots: Snapshot[]; to: string }) {
  const index = snapshots.findIndex((s) => s.id === to);
  const [from, setFrom] = useState<string | null>(snapshots[index + 1]?.id ?? null);
  const [file, setFile] = useState<string | null>(null);
  useEffect(() => {
    setFrom(snapshots[snapshots.findIndex((s) => s.id === to) + 1]?.id ?? null);
    setFile(null);
  }, [to, snapshots]);

  if (!from) return <p className="muted pad">This is the project's first snapshot: there is nothing earlier to compare it with.</p>;
  return (
    <div className="changes">
      <label className="compare">
        Compare with{' '}
        <select value={from} onChange={(e) => setFrom(e.target.value)}>
          {snapshots
            .filter((s) => s.id !== to)
            .map((s) => (
              <option key={s.id} value={s.id}>
                {formatDate(s.createdAt)}
              </option>
            ))}
        </select>
      </label>
      <DiffList from={from} to={to} selected={file} onSelect={setFile} />
      {file && <TextDiff from={from} to={to} path={file} />}
    </div>
  );
}

function DiffList({ from, to, selected, onSelect }: { from: string; to: string; selected: string | null; onSelect: (p: string) => void }) {
  const diff = useCall('snapshots.diff', { from, to, limit: 5000 });
  if (diff.error) return <p className="form-error">{errorText(diff.error)}</p>;
  if (!diff.data) return <p className="muted">Comparing…</p>;
  const d = diff.data;
  return (
    <>
      <p className="diff-summary" role="status">
        {plural(d.added, 'added')}, {plural(d.removed, 'removed')}, {plural(d.changed, 'changed')} · {formatDelta(d.sizeDelta)}
      </p>
      {d.entries.length === 0 && <p className="muted">Nothing changed between these snapshots.</p>}
      <ul className="diff-list" aria-label="Changed files">
        {d.entries.map((e) => (
          <li key={e.path} className={`change-${e.change}`}>
            <span className={`badge ${e.change}`}>{e.change}</span>
            {e.change === 'changed' && e.type === 'file' ? (
              <button type="button" className="link" aria-pressed={selected === e.path} onClick={() => onSelect(e.path)}>
                {e.path}
              </button>
            ) : (
              <span>{e.path}</span>
            )}
            <span className="muted num">
              {e.type === 'file' ? (e.sizeBefore !== null && e.sizeAfter !== null ? formatDelta(e.sizeAfter - e.sizeBefore) : formatBytes(e.sizeAfter ?? e.sizeBefore ?? 0)) : e.type}
            </span>
          </li>
        ))}
      </ul>
      {d.truncated && <p className="muted">Only the first {d.entries.length} changes are listed.</p>}
    </>
  );
}

/** The line diff of one text file between two snapshots (also used by the file history). */
export function TextDiff({ from, to, path }: { from: string; to: string; path: string }) {
  const client = useClient();
  const [texts, setTexts] = useState<{ before: string; after: string } | null>(null);
  const [note, setNote] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    setTexts(null);
    setNote(null);
    void (async () => {
      try {
        const [a, b] = await Promise.all([from, to].map((id) => client.call('snapshot.read-file', { snapshotId: id, path, offset: 0, length: TEXT_LIMIT })));
        const [ba, bb] = [base64ToBytes(a!.base64), base64ToBytes(b!.base64)];
        if (!live) return;
        if (!looksLikeText(ba) || !looksLikeText(bb)) return setNote('This file is not text, so there is no line-by-line comparison.');
        const dec = new TextDecoder();
        setTexts({ before: dec.decode(trimPartialUtf8(ba)), after: dec.decode(trimPartialUtf8(bb)) });
        if (a!.size > TEXT_LIMIT || b!.size > TEXT_LIMIT) setNote(`Only the first ${formatBytes(TEXT_LIMIT)} are compared.`);
      } catch (err) {
        if (live) setNote(errorText(err));
      }
    })();
    return () => {
      live = false;
    };
  }, [client, from, to, path]);
  const parts = useMemo(() => (texts ? diffLines(texts.before, texts.after) : []), [texts]);
  return (
    <section className="text-diff" aria-label={`Changes in ${path}`}>
      <h3>{path}</h3>
      {note && <p className="muted">{note}</p>}
      {texts && (
        <pre className="code diff" tabIndex={0}>
          {parts.map((p, i) => {
            const cls = p.added ? 'add' : p.removed ? 'del' : 'same';
            const mark = p.added ? '+' : p.removed ? '−' : ' ';
            const lines = p.value.replace(/\n$/, '').split('\n');
            return lines.map((line, j) => (
              <div key={`${i}-${j}`} className={cls}>
                <span className="mark" aria-hidden>
                  {mark}
                </span>
                {p.added ? <ins>{line}</ins> : p.removed ? <del>{line}</del> : line}
              </div>
            ));
          })}
        </pre>
      )}
    </section>
  );
}
