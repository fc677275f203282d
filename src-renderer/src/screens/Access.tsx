/** First run (create the vault) and the unlock screen. */
import { useQueryClient } from '@tanstack/react-query';
import { KeyRound, ShieldAlert } from 'lucide-react';
import { useId, useState } from 'react';
import type { FormEvent } from 'react';
import { errorText, useClient } from '../api.tsx';
import { passwordStrength } from '../lib/password.ts';

export function FirstRun({ path }: { path: string }) {
  const client = useClient();
  const qc = useQueryClient();
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [understood, setUnderstood] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const strength = passwordStrength(password);
  const ids = { pw: useId(), confirm: useId(), hint: useId(), ack: useId() };
  const mismatch = confirm.length > 0 && confirm !== password;
  const ready = password.length >= 8 && confirm === password && understood && !busy;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!ready) return;
    setBusy(true);
    setError(null);
    try {
      await client.call('vault.create', { password });
      await qc.invalidateQueries({ queryKey: ['vault.status'] });
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };

  return (
    <main className="access">
      <form className="card access-card" onSubmit={submit} aria-labelledby="create-title">
        <KeyRound aria-hidden size={28} className="access-icon" />
        <h2 id="create-title">Create your vault</h2>
        <p className="muted">
          Your snapshots will be kept, encrypted, in <code className="path">{path}</code>.
        </p>
        <label htmlFor={ids.pw}>Vault password</label>
        <input id={ids.pw} type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} aria-describedby={ids.hint} autoFocus />
        <div className="strength" data-score={strength.score}>
          <div className="strength-bar" role="meter" aria-label="Password strength" aria-valuemin={0} aria-valuemax={4} aria-valuenow={strength.score} aria-valuetext={strength.label}>
            {[0, 1, 2, 3].map((i) => (
              <span key={i} className={i < strength.score || (i === 0 && password.length > 0) ? 'on' : ''} />
            ))}
          </div>
          <span className="strength-label">{password ? strength.label : ''}</span>
        </div>
        <p id={ids.hint} className="hint">
          {strength.hint}
        </p>
        <label htmlFor={ids.confirm}>Confirm password</label>
        <input id={ids.confirm} type="password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} aria-invalid={mismatch} />
        {mismatch && <p className="field-error">The two passwords differ.</p>}
        <div className="warning-box" role="note">
          <ShieldAlert aria-hidden size={20} />
          <p>
            <strong>There is no way to recover a lost password.</strong> Nobody, including us, can open the vault without it: if you forget it, everything in the vault is lost.
            Write it down and keep it somewhere safe.
          </p>
        </div>
        <label className="check">
          <input id={ids.ack} type="checkbox" checked={understood} onChange={(e) => setUnderstood(e.target.checked)} />
          I understand that a lost password means lost data.
        </label>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={!ready}>
          {busy ? 'Creating…' : 'Create vault'}
        </button>
      </form>
    </main>
  );
}

export function Unlock({ path }: { path: string }) {
  const client = useClient();
  const qc = useQueryClient();
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const id = useId();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!password || busy) return;
    setBusy(true);
    setError(null);
    try {
      await client.call('vault.unlock', { password });
      setPassword('');
      await qc.invalidateQueries({ queryKey: ['vault.status'] });
    } catch (err) {
      setError(errorText(err));
      setPassword('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="access">
      <form className="card access-card" onSubmit={submit} aria-labelledby="unlock-title">
        <KeyRound aria-hidden size={28} className="access-icon" />
        <h2 id="unlock-title">Unlock your vault</h2>
        <p className="muted">
          <code className="path">{path}</code>
        </p>
        <label htmlFor={id}>Vault password</label>
        <input id={id} type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} aria-invalid={error !== null} autoFocus />
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={!password || busy}>
          {busy ? 'Unlocking…' : 'Unlock'}
        </button>
      </form>
    </main>
  );
}
