/**
 * Health: verify the vault (quick: every stripe checksum; full: every blob
 * read and authenticated) and repair it, with progress and cancel; when it
 * was last verified, what the newest check found per project and per vault
 * file, what a repair fixed, the scheduled verify, and the recent checks.
 */
import { useQueryClient } from '@tanstack/react-query';
import { HeartPulse, ShieldCheck, ShieldAlert, Wrench } from 'lucide-react';
import { useId, useState } from 'react';
import type { CallResult } from '../../../src-shared/contract.ts';
import { errorText, useCall, useClient, useOps } from '../api.tsx';
import { useJobs } from '../actions.ts';
import { HealthBadge } from '../components/HealthBadge.tsx';
import { ProjectLink } from '../components/ProjectLink.tsx';
import { formatDate, formatRelative, plural } from '../lib/format.ts';
import { checkProgressText, nextVerifyText, projectLine, scope, verdict } from '../lib/health.ts';
import { parentPath } from '../lib/tree-model.ts';
import type { Route } from '../route.ts';
import { DataTable } from '../components/DataTable.tsx';
import { FormError } from '../components/FormError.tsx';

type Check = NonNullable<CallResult<'health.status'>['latest']>;
type ProjectHealth = Check['report']['projects'][number];

const SCHEDULE_DAYS = [0, 1, 7, 14, 30, 90];

export function Health({ go }: { go: (r: Route) => void }) {
  const status = useCall('health.status', {});
  const jobs = useJobs();
  const ops = useOps();
  const client = useClient();
  const [error, setError] = useState<string | null>(null);
  const running = ops.find((o) => (o.kind === 'verify' || o.kind === 'repair') && !o.finished);
  const latest = status.data?.latest ?? null;

  const start = async (what: () => Promise<string>) => {
    setError(null);
    try {
      await what();
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <div className="screen health">
      <header className="screen-head">
        <h2>Health</h2>
        <div className="spacer" />
        <button type="button" onClick={() => void start(() => jobs.verify(false))} disabled={running !== undefined} title="Checks every stripe checksum of every pack and parity file">
          <ShieldCheck size={16} aria-hidden /> Quick verify
        </button>
        <button type="button" onClick={() => void start(() => jobs.verify(true))} disabled={running !== undefined} title="Also reads, decrypts and authenticates every blob">
          <HeartPulse size={16} aria-hidden /> Full verify
        </button>
        <button type="button" className={latest && !latest.healthy ? 'primary' : ''} onClick={() => void start(() => jobs.repair())} disabled={running !== undefined}>
          <Wrench size={16} aria-hidden /> Repair
        </button>
      </header>
      <FormError message={error} />
      {running && (
        <div className="card running-check" role="status" aria-label="Running check">
          <strong>{running.title}</strong>
          <span className="muted">{running.progress ? checkProgressText(running.progress) : 'Starting…'}</span>
          <button type="button" onClick={() => void client.call('op.cancel', { opId: running.opId }).catch((err: unknown) => setError(errorText(err)))}>
            Cancel
          </button>
        </div>
      )}
      {status.error && <p className="form-error">{errorText(status.error)}</p>}
      {status.data && <Summary latest={latest} lastVerifiedAt={status.data.lastVerifiedAt} />}
      {latest && <Findings check={latest} go={go} />}
      <Schedule lastVerifiedAt={status.data?.lastVerifiedAt ?? null} />
      {status.data && status.data.history.length > 0 && <History history={status.data.history} />}
    </div>
  );
}

function Summary({ latest, lastVerifiedAt }: { latest: Check | null; lastVerifiedAt: number | null }) {
  if (!latest || lastVerifiedAt === null) {
    return (
      <section className="card health-summary" aria-label="Last check">
        <h3>Never verified</h3>
        <p className="muted">A quick verify checks every byte of the vault against its checksums; a full verify also decrypts and authenticates every blob.</p>
      </section>
    );
  }
  const r = latest.report;
  const Icon = r.healthy ? ShieldCheck : ShieldAlert;
  return (
    <section className={`card health-summary ${r.healthy ? 'is-healthy' : 'is-damaged'}`} aria-label="Last check">
      <h3>
        <Icon size={18} aria-hidden className={r.healthy ? 'ok' : 'bad'} /> {verdict(r)}
      </h3>
      <p>
        Last verified <span title={formatDate(lastVerifiedAt)}>{formatRelative(lastVerifiedAt, Date.now())}</span> by a {latest.kind === 'repair' ? 'repair' : latest.readData ? 'full verify' : 'quick verify'} ({scope(r)}).
      </p>
      {r.headerRepaired && <p>The {r.headerRepaired} copy of the key header was damaged and has been rewritten from the other copy.</p>}
      {r.parityOff && <p className="muted">Parity is off for this vault (redundancy 0): damage is found but cannot be repaired, and only a full verify finds damage inside a blob.</p>}
      {!r.parityOff && r.unprotectedPacks > 0 && <p className="muted">{plural(r.unprotectedPacks, 'pack')} not protected by parity yet; Repair protects them.</p>}
    </section>
  );
}

function Findings({ check, go }: { check: Check; go: (r: Route) => void }) {
  const r = check.report;
  const fixed = check.kind === 'repair' ? check.before.filter((b) => b.atRisk > (r.projects.find((p) => p.project === b.project)?.atRisk ?? 0)) : [];
  return (
    <>
      {check.kind === 'repair' && (
        <section className="card" aria-label="What the repair did">
          <h3>What the repair did</h3>
          {check.actions.length === 0 ? (
            <p className="muted">Nothing needed repairing.</p>
          ) : (
            <ul className="plain-list">
              {check.actions.map((a) => (
                <li key={a}>{a.charAt(0).toUpperCase() + a.slice(1)}.</li>
              ))}
            </ul>
          )}
          {fixed.length > 0 && (
            <ul className="plain-list">
              {fixed.map((b) => (
                <li key={b.project}>
                  <strong>{b.project}</strong>: {plural(b.atRisk - (r.projects.find((p) => p.project === b.project)?.atRisk ?? 0), 'file')} put back as they were.
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
      {r.projects.length > 0 && (
        <DataTable label="Health by project" columns={['Project', 'Status', 'Details']}>
          {r.projects.map((p) => (
            <tr key={p.project}>
              <td>
                <ProjectLink name={p.project} go={go} />
              </td>
              <td>
                <HealthBadge badge={p.lost > 0 ? 'damaged' : p.atRisk > 0 ? 'at-risk' : 'healthy'} />
              </td>
              <td>
                {projectLine(p)}
                {p.examples.length > 0 && <Examples project={p} go={go} />}
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      {r.damage.length > 0 && (
        <DataTable label="Damage found" columns={['Vault file', 'What is wrong', 'Repair']}>
          {r.damage.map((d, i) => (
            <tr key={`${d.where}:${i}`}>
              <td>
                <code className="path">{d.where}</code>
              </td>
              <td>{d.what}</td>
              <td>
                <span className={`badge ${d.repairable ? 'added' : 'removed'}`}>{d.repairable ? 'repairable' : 'not repairable'}</span>
              </td>
            </tr>
          ))}
        </DataTable>
      )}
    </>
  );
}

function Examples({ project, go }: { project: ProjectHealth; go: (r: Route) => void }) {
  const snapshots = useCall('snapshots.list', { project: project.project });
  const at = new Map((snapshots.data ?? []).map((s) => [s.id, s.createdAt]));
  return (
    <details className="examples">
      <summary>{project.atRisk > project.examples.length ? `The first ${project.examples.length} of ${project.atRisk}` : plural(project.examples.length, 'file')}</summary>
      <ul>
        {project.examples.map((e) => {
          const listing = e.path.endsWith(' (listing)');
          const when = at.get(e.snapshot);
          return (
            <li key={`${e.snapshot}:${e.path}`}>
              {listing ? (
                <code>{e.path}</code>
              ) : (
                <button type="button" className="link" onClick={() => go({ name: 'project', project: project.project, snapshotId: e.snapshot, path: parentPath(e.path), select: e.path, tab: 'browse' })}>
                  <code>{e.path}</code>
                </button>
              )}{' '}
              <span className="muted">
                {when ? `snapshot of ${formatDate(when)}` : `snapshot ${e.snapshot.slice(0, 8)}`}
                {e.lost ? ' · cannot be recovered' : ''}
              </span>
            </li>
          );
        })}
      </ul>
    </details>
  );
}

/** The scheduled verify: a preference of this computer (settings.get / settings.set). */
function Schedule({ lastVerifiedAt }: { lastVerifiedAt: number | null }) {
  const settings = useCall('settings.get', {});
  const snapshots = useCall('snapshots.list', {});
  // Never verified: main counts from the oldest snapshot (snapshots.list is newest first).
  const unverifiedSince = lastVerifiedAt ?? snapshots.data?.at(-1)?.createdAt ?? null;
  const client = useClient();
  const qc = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const id = useId();
  if (!settings.data) return settings.error ? <p className="form-error">{errorText(settings.error)}</p> : null;
  const every = settings.data.verifyEveryDays;
  const choices = SCHEDULE_DAYS.includes(every) ? SCHEDULE_DAYS : [...SCHEDULE_DAYS, every].sort((a, b) => a - b);
  const change = async (days: number) => {
    setError(null);
    try {
      qc.setQueryData(['settings.get', {}], await client.call('settings.set', { verifyEveryDays: days }));
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <section className="card schedule" aria-label="Scheduled verify">
      <div className="schedule-row">
        <label htmlFor={id}>Verify automatically</label>
        <select id={id} value={every} onChange={(e) => void change(Number(e.target.value))}>
          {choices.map((d) => (
            <option key={d} value={d}>
              {d === 0 ? 'Never' : d === 1 ? 'Every day' : `Every ${d} days`}
            </option>
          ))}
        </select>
      </div>
      <p className="hint">{nextVerifyText(unverifiedSince, every, Date.now()) ?? 'No verify runs on its own; run one above from time to time.'} A scheduled verify is a quick one, while the vault is unlocked.</p>
      <FormError message={error} />
    </section>
  );
}

function History({ history }: { history: CallResult<'health.status'>['history'] }) {
  return (
    <DataTable label="Recent checks" columns={['When', 'Check', 'Result']}>
      {history.map((h) => (
        <tr key={h.id}>
          <td>{formatDate(h.at)}</td>
          <td>{h.kind === 'repair' ? 'Repair' : h.readData ? 'Full verify' : 'Quick verify'}</td>
          <td>
            <span className={`badge ${h.healthy ? 'done' : 'failed'}`}>{h.healthy ? 'healthy' : 'damage found'}</span>
            {h.actions.length > 0 && <span className="muted"> · {h.actions.join('; ')}</span>}
          </td>
        </tr>
      ))}
    </DataTable>
  );
}
