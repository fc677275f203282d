/** Every long job: live progress (files, bytes, rate, ETA) with Cancel, then its outcome, where it put its files, and its warnings. */
import { CircleCheck, CircleX, Ban, X } from 'lucide-react';
import { errorText, useOps, useServices } from '../api.tsx';
import { formatBytes, plural } from '../lib/format.ts';
import { checkOutcomeText, checkProgressText } from '../lib/health.ts';
import { fractionDone, progressText, warningsOf } from '../ops.ts';
import type { OpView } from '../ops.ts';
import { JobPlace } from './JobPlace.tsx';

export function OpsPanel() {
  const ops = useOps();
  if (ops.length === 0) return null;
  return (
    <section className="ops" aria-label="Operations">
      {ops.map((op) => (
        <OpRow key={op.opId} op={op} />
      ))}
    </section>
  );
}

function OpRow({ op }: { op: OpView }) {
  const { client, ops } = useServices();
  const p = op.progress;
  const f = op.finished;
  const fraction = fractionDone(op);
  const warnings = warningsOf(op);
  const cancel = () => void client.call('op.cancel', { opId: op.opId }).catch((err: unknown) => console.warn(errorText(err)));
  return (
    <div className={`op op-${f?.outcome ?? 'running'}`} data-kind={op.kind}>
      <div className="op-head">
        {f?.outcome === 'done' && <CircleCheck aria-hidden size={16} className="ok" />}
        {f?.outcome === 'failed' && <CircleX aria-hidden size={16} className="bad" />}
        {f?.outcome === 'cancelled' && <Ban aria-hidden size={16} />}
        <strong className="op-title">{op.title}</strong>
        <span className="op-state" role="status">
          {f ? outcomeText(op) : p && isCheck(op.kind) ? checkProgressText(p) : p ? progressText(p) : 'Starting…'}
        </span>
        {f ? (
          <button type="button" className="icon" aria-label={`Dismiss ${op.title}`} onClick={() => ops.dismiss(op.opId)}>
            <X size={16} aria-hidden />
          </button>
        ) : (
          <button type="button" onClick={cancel}>
            Cancel
          </button>
        )}
      </div>
      {!f && (
        <div className="progress" role="progressbar" aria-label={`${op.title} progress`} aria-valuemin={0} aria-valuemax={100} {...(fraction === null ? {} : { 'aria-valuenow': Math.round(fraction * 100) })}>
          <span style={{ width: fraction === null ? '30%' : `${fraction * 100}%` }} className={fraction === null ? 'indeterminate' : ''} />
        </div>
      )}
      {!f && p?.current && <div className="op-current muted">{p.current}</div>}
      {f?.error && <p className="form-error">{f.error.message}</p>}
      {f?.outcome === 'done' && (op.kind === 'restore' || op.kind === 'export') && typeof f.summary?.['target'] === 'string' && <JobPlace path={f.summary['target']} kind={op.kind} />}
      {warnings.length > 0 && (
        <details className="op-warnings">
          <summary>{plural(warnings.length, 'warning')}</summary>
          <ul>
            {warnings.slice(0, 200).map((w, i) => (
              <li key={i}>
                <code>{w.path || '/'}</code> {w.message}
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}

function outcomeText(op: OpView): string {
  const f = op.finished!;
  if (f.outcome === 'cancelled') return op.kind === 'repair' ? 'Cancelled; what was already repaired stays repaired.' : 'Cancelled; nothing was changed.';
  if (f.outcome === 'failed') return 'Failed.';
  if (isCheck(op.kind)) return checkOutcomeText(op.kind, f.summary);
  const s = f.summary ?? {};
  const files = typeof s['files'] === 'number' ? plural(s['files'], 'file') : '';
  const bytes = typeof s['bytes'] === 'number' ? formatBytes(s['bytes']) : '';
  const verb = op.kind === 'backup' ? 'Snapshot saved' : op.kind === 'restore' ? 'Restored' : op.kind === 'export' ? 'Exported' : 'Done';
  // What the conflict choice did with items already there.
  const skipped = typeof s['skipped'] === 'number' && s['skipped'] > 0 ? `${plural(s['skipped'], 'item')} already there, left as they were` : '';
  const renamed = typeof s['renamed'] === 'number' && s['renamed'] > 0 ? `${plural(s['renamed'], 'item')} kept beside what was there, under a new name` : '';
  return `${verb}: ${[files, bytes].filter(Boolean).join(', ')}${[skipped, renamed].filter(Boolean).map((t) => `; ${t}`).join('')}.`;
}

/** Verify and repair report packs and findings, not files and bytes restored. */
function isCheck(kind: string): boolean {
  return kind === 'verify' || kind === 'repair';
}
