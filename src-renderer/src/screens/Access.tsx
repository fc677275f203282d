/**
 * First run (where the vault goes, then its password) and the unlock screen.
 *
 * Both can move to another vault folder (an external drive) through
 * `vault.choose`: the native folder picker in the desktop app, a path field
 * everywhere. Both offer to remember the password on this computer through
 * the OS keychain, shown as unavailable (with the reason) where there is none.
 * At the app's start the unlock screen opens the vault with the saved password
 * by itself; after a lock it waits for a click.
 */
import { useQueryClient } from '@tanstack/react-query';
import { FolderOpen, KeyRound, ShieldAlert } from 'lucide-react';
import { useEffect, useId, useRef, useState } from 'react';
import type { FormEvent } from 'react';
import type { EventPayload } from '../../../src-shared/contract.ts';
import { errorText, useCall, useClient } from '../api.tsx';
import { passwordStrength } from '../lib/password.ts';
import './access.css';
import { FormError } from '../components/FormError.tsx';

type LockReason = EventPayload<'vault.locked'>['reason'];

const LOCK_NOTES: Record<LockReason, string | null> = {
  user: null,
  idle: 'The vault locked itself after a time without use.',
  suspend: 'The vault locked as the computer went to sleep.',
  'screen-lock': 'The vault locked as the screen was locked.',
};

/** After a change of vault, or an unlock, every answer about the vault may differ. */
function useRefreshVault() {
  const qc = useQueryClient();
  return async () => {
    await Promise.all(['vault.status', 'vault.location', 'keychain.status'].map((k) => qc.invalidateQueries({ queryKey: [k] })));
  };
}

/** The vault's folder, and a way to move to another one. */
function VaultLocation({ path, newVault }: { path: string; newVault: boolean }) {
  const client = useClient();
  const refresh = useRefreshVault();
  const info = useCall('app.info', {}, { staleTime: Infinity });
  const location = useCall('vault.location', {});
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState('');
  const [error, setError] = useState<string | null>(null);
  const id = useId();

  const choose = async (target: string | null) => {
    setError(null);
    try {
      await client.call('vault.choose', { path: target });
      setOpen(false);
      setTyped('');
      await refresh();
    } catch (err) {
      setError(errorText(err));
    }
  };
  const pick = async () => {
    try {
      const { path: picked } = await client.call('dialog.pick-folder', { title: newVault ? 'Choose a folder for the new vault' : 'Choose a vault folder' });
      if (picked) await choose(picked);
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <div className="vault-location">
      <p className="muted">
        {newVault ? 'Your snapshots will be kept, encrypted, in ' : 'Vault in '}
        <code className="path">{path}</code>
        {location.data?.isDefault ? ' (on this computer).' : '.'}
      </p>
      {!open && (
        <button type="button" className="link" onClick={() => setOpen(true)}>
          {newVault ? 'Keep it somewhere else, such as an external drive…' : 'Open another vault…'}
        </button>
      )}
      {open && (
        <form
          className="location-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (typed.trim()) void choose(typed.trim());
          }}
        >
          <label htmlFor={id}>Vault folder</label>
          <p className="hint">An existing vault, an empty folder, or a new folder to create. An external drive must be connected.</p>
          <div className="location-row">
            <input id={id} type="text" value={typed} onChange={(e) => setTyped(e.target.value)} placeholder="/media/you/usb/vault" spellCheck={false} />
            {info.data?.nativeDialogs && (
              <button type="button" onClick={() => void pick()}>
                <FolderOpen size={16} aria-hidden /> Choose…
              </button>
            )}
            <button type="submit" disabled={!typed.trim()}>
              Use this folder
            </button>
          </div>
          <div className="location-row">
            {location.data && !location.data.isDefault && (
              <button type="button" className="link" onClick={() => void choose(null)}>
                Use the vault on this computer
              </button>
            )}
            <div className="spacer" />
            <button type="button" className="link" onClick={() => (setOpen(false), setError(null))}>
              Cancel
            </button>
          </div>
        </form>
      )}
      <FormError message={error} />
    </div>
  );
}

/** The "remember on this computer" checkbox, disabled with the reason where there is no keychain. */
function RememberChoice({ checked, onChange }: { checked: boolean; onChange: (v: boolean) => void }) {
  const keychain = useCall('keychain.status', {});
  const hint = useId();
  const available = keychain.data?.available === true;
  return (
    <div className="remember">
      <label className="check">
        <input type="checkbox" checked={available && checked} disabled={!available} onChange={(e) => onChange(e.target.checked)} aria-describedby={hint} />
        Remember the password on this computer
      </label>
      <p id={hint} className="hint">
        {available ? 'Kept encrypted by the system keychain, so this user account can unlock the vault without typing it.' : (keychain.data?.reason ?? '')}
      </p>
    </div>
  );
}

/** Saves the password when asked to; answers the problem in words, or null. */
async function rememberIfAsked(client: ReturnType<typeof useClient>, remember: boolean, password: string): Promise<string | null> {
  if (!remember) return null;
  try {
    await client.call('keychain.remember', { password });
    return null;
  } catch (err) {
    return `The vault is open, but the password was not saved on this computer: ${errorText(err)}`;
  }
}

export function FirstRun({ path }: { path: string }) {
  const client = useClient();
  const refresh = useRefreshVault();
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [understood, setUnderstood] = useState(false);
  const [remember, setRemember] = useState(false);
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
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
      return;
    }
    const problem = await rememberIfAsked(client, remember, password);
    if (problem) window.alert(problem);
    await refresh();
  };

  return (
    <main className="access">
      <div className="card access-card">
        <KeyRound aria-hidden size={28} className="access-icon" />
        <h2 id="create-title">Create your vault</h2>
        <VaultLocation path={path} newVault />
        <form className="access-form" onSubmit={submit} aria-labelledby="create-title">
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
            <input id={ids.ack} type="checkbox" checked={understood} onChange={(e) => setUnderstood(e.target.checked)} />I understand that a lost password means lost data.
          </label>
          <RememberChoice checked={remember} onChange={setRemember} />
          <FormError message={error} />
          <button type="submit" className="primary" disabled={!ready}>
            {busy ? 'Creating…' : 'Create vault'}
          </button>
        </form>
      </div>
    </main>
  );
}

export function Unlock({ path, lockedBy }: { path: string; lockedBy?: LockReason | null }) {
  const client = useClient();
  const refresh = useRefreshVault();
  const keychain = useCall('keychain.status', {});
  const [password, setPassword] = useState('');
  const [remember, setRemember] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const id = useId();
  const triedSaved = useRef(false);

  const unlockSaved = async () => {
    setBusy(true);
    setError(null);
    try {
      const { unlocked, problem } = await client.call('keychain.unlock', {});
      if (unlocked) return await refresh();
      setNotice(problem);
      await refresh();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  // At the app's start, a saved password opens the vault without a click.
  useEffect(() => {
    if (keychain.data?.unlockOnStart && !triedSaved.current) {
      triedSaved.current = true;
      void unlockSaved();
    }
  }, [keychain.data?.unlockOnStart]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!password || busy) return;
    setBusy(true);
    setError(null);
    try {
      await client.call('vault.unlock', { password });
    } catch (err) {
      setError(errorText(err));
      setPassword('');
      setBusy(false);
      return;
    }
    const problem = await rememberIfAsked(client, remember, password);
    setPassword('');
    setBusy(false);
    if (problem) window.alert(problem);
    await refresh();
  };

  const lockNote = lockedBy ? LOCK_NOTES[lockedBy] : null;
  return (
    <main className="access">
      <div className="card access-card">
        <KeyRound aria-hidden size={28} className="access-icon" />
        <h2 id="unlock-title">Unlock your vault</h2>
        {lockNote && (
          <p className="lock-note" role="status">
            {lockNote}
          </p>
        )}
        <VaultLocation path={path} newVault={false} />
        {notice && (
          <p className="notice" role="alert">
            {notice}
          </p>
        )}
        {keychain.data?.remembered && (
          <button type="button" className="primary" onClick={() => void unlockSaved()} disabled={busy}>
            {busy ? 'Unlocking…' : 'Unlock with the saved password'}
          </button>
        )}
        <form className="access-form" onSubmit={submit} aria-labelledby="unlock-title">
          <label htmlFor={id}>Vault password</label>
          <input id={id} type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} aria-invalid={error !== null} autoFocus />
          {!keychain.data?.remembered && <RememberChoice checked={remember} onChange={setRemember} />}
          <FormError message={error} />
          <button type="submit" className={keychain.data?.remembered ? '' : 'primary'} disabled={!password || busy}>
            {busy ? 'Unlocking…' : 'Unlock'}
          </button>
        </form>
      </div>
    </main>
  );
}
