/**
 * Preview of one file of a snapshot: images, text and code (highlighted),
 * or a hex view. Bytes arrive in bounded ranges; "Show more" asks for the
 * next one, so a 10 GB file costs what is on screen.
 */
import { useEffect, useMemo, useState } from 'react';
import { errorText, useClient } from '../api.tsx';
import { base64ToBytes, hexRows, imageType, languageOf, previewKind, trimPartialUtf8 } from '../lib/content.ts';
import { formatBytes } from '../lib/format.ts';

const TEXT_RANGE = 256 * 1024;
const HEX_RANGE = 4 * 1024;
const IMAGE_LIMIT = 16 * 1024 * 1024;
const RANGE = 4 * 1024 * 1024;

interface Loaded {
  size: number;
  bytes: Uint8Array;
}

export function Preview({ snapshotId, path, name }: { snapshotId: string; path: string; name: string }) {
  const client = useClient();
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [imageUrl, setImageUrl] = useState<string | null>(null);

  const read = async (offset: number, length: number) => {
    const r = await client.call('snapshot.read-file', { snapshotId, path, offset, length });
    return { size: r.size, bytes: base64ToBytes(r.base64) };
  };

  useEffect(() => {
    let live = true;
    let url: string | null = null;
    setLoaded(null);
    setError(null);
    setImageUrl(null);
    void (async () => {
      try {
        const type = imageType(name);
        const first = await read(0, type ? RANGE : TEXT_RANGE);
        if (!live) return;
        if (type && first.size <= IMAGE_LIMIT) {
          const parts: Uint8Array[] = [first.bytes];
          for (let at = first.bytes.length; at < first.size; ) {
            const next = await read(at, RANGE);
            if (!live) return;
            parts.push(next.bytes);
            at += next.bytes.length;
            if (next.bytes.length === 0) break;
          }
          url = URL.createObjectURL(new Blob(parts as BlobPart[], { type }));
          setImageUrl(url);
        }
        setLoaded(first);
      } catch (err) {
        if (live) setError(errorText(err));
      }
    })();
    return () => {
      live = false;
      if (url) URL.revokeObjectURL(url);
    };
  }, [snapshotId, path, name]);

  const more = async (length: number) => {
    if (!loaded) return;
    setBusy(true);
    try {
      const next = await read(loaded.bytes.length, length);
      const joined = new Uint8Array(loaded.bytes.length + next.bytes.length);
      joined.set(loaded.bytes);
      joined.set(next.bytes, loaded.bytes.length);
      setLoaded({ size: next.size, bytes: joined });
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const kind = loaded ? previewKind(name, loaded.bytes.subarray(0, 8192)) : null;
  const remaining = loaded ? loaded.size - loaded.bytes.length : 0;

  return (
    <section className="preview" aria-label={`Preview of ${name}`}>
      <header className="preview-head">
        <h3>{name}</h3>
        {loaded && <span className="muted">{formatBytes(loaded.size)}</span>}
      </header>
      {error && <p className="form-error">{error}</p>}
      {!loaded && !error && <p className="muted">Loading…</p>}
      {loaded && kind === 'image' && (imageUrl ? <img src={imageUrl} alt={name} className="preview-image" /> : <p className="muted">This image is too large to preview ({formatBytes(loaded.size)}).</p>)}
      {loaded && kind === 'text' && <TextView bytes={loaded.bytes} name={name} />}
      {loaded && kind === 'binary' && <HexView bytes={loaded.bytes.subarray(0, Math.max(HEX_RANGE, loaded.bytes.length - (loaded.bytes.length % 16)))} />}
      {loaded && kind !== 'image' && remaining > 0 && (
        <button type="button" onClick={() => void more(kind === 'text' ? TEXT_RANGE : HEX_RANGE * 4)} disabled={busy}>
          Show more ({formatBytes(remaining)} not shown)
        </button>
      )}
    </section>
  );
}

function TextView({ bytes, name }: { bytes: Uint8Array; name: string }) {
  const text = useMemo(() => new TextDecoder().decode(trimPartialUtf8(bytes)), [bytes]);
  const [html, setHtml] = useState<string | null>(null);
  // highlight.js and its grammars are a separate chunk, loaded on the first code preview.
  useEffect(() => {
    let live = true;
    setHtml(null);
    const language = languageOf(name);
    if (language) void import('../lib/highlight.ts').then((m) => live && setHtml(m.highlight(text, language)));
    return () => {
      live = false;
    };
  }, [text, name]);
  return (
    <pre className="code" tabIndex={0} aria-label={`Text of ${name}`}>
      {html === null ? <code>{text}</code> : <code className="hljs" dangerouslySetInnerHTML={{ __html: html }} />}
    </pre>
  );
}

function HexView({ bytes }: { bytes: Uint8Array }) {
  const rows = useMemo(() => hexRows(bytes, 0), [bytes]);
  return (
    <pre className="hex" tabIndex={0} aria-label="Hex view">
      {rows.map((r) => (
        <div key={r.offset}>
          <span className="muted">{r.offset}</span> {r.hex.padEnd(49)} <span className="ascii">{r.ascii}</span>
        </div>
      ))}
    </pre>
  );
}
