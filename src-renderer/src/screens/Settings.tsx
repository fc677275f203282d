/**
 * Settings: locking (after idle minutes, on sleep, on screen lock),
 * notifications, the scheduled verify, and the password remembered on this
 * computer. Preferences are edited as a form and saved together with
 * `settings.set`, which checks them against the contract's schema; the saved
 * password has its own buttons, since it needs the password or forgets it at once.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';
import type { FormEvent } from 'react';
import type { CallResult } from '../../../src-shared/contract.ts';
import { errorText, useCall, useClient } from '../api.tsx';
import './settings.css';

type Prefs = CallResult<'settings.get'>;

/** A whole number within bounds, or null with the field left as typed. */
function wholeNumber(text: string, max: number): number | null {
  if (!/^\d+$/.test(text.trim())) return null;
  const n = Number(text.trim());
  return n <= max ? n : null;
}

export function Settings() {
  const prefs = useCall('settings.get', {});
  const info = useCall('app.info', {}, { staleTime: Infinity });
  return (
    <div className="screen settings">
      <header className="screen-head">
        <h2>Settings</h2>
      </header>
      {prefs.error && <p className="form-error">{errorText(prefs.error)}</p>}
      {prefs.data && <PreferencesForm saved={prefs.data} desktop={info.data?.transport === 'electron'} />}
      <SavedPassword />
    </div>
  );
}

function PreferencesForm({ saved, desktop }: { saved: Prefs; desktop: boolean }) {
  const client = useClient();
  const qc = useQueryClient();
  const [minutes, setMinutes] = useState(String(saved.autoLockMinutes));
  const [days, setDays] = useState(String(saved.verifyEveryDays));
  const [flags, setFlags] = useState({ lockOnSuspend: saved.lockOnSuspend, lockOnScreenLock: saved.lockOnScreenLock, notifications: saved.notifications });
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const ids = { minutes: useId(), minutesHint: useId(), days: useId(), daysHint: useId(), screenHint: useId(), notifyHint: useId() };
  const minutesValue = wholeNumber(minutes, 1440);
  const daysValue = wholeNumber(days, 365);
  const changed =
    minutesValue !== saved.autoLockMinutes ||
    daysValue !== saved.verifyEveryDays ||
    flags.lockOnSuspend !== saved.lockOnSuspend ||
    flags.lockOnScreenLock !== saved.lockOnScreenLock ||
    flags.notifications !== saved.notifications;

  useEffect(() => setMessage(null), [minutes, days, flags]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (minutesValue === null) return setMessage({ ok: false, text: 'Enter the auto-lock time as a whole number of minutes, from 0 to 1440.' });
    if (daysValue === null) return setMessage({ ok: false, text: 'Enter the verify interval as a whole number of days, from 0 to 365.' });
    try {
      const next = await client.call('settings.set', { autoLockMinutes: minutesValue, verifyEveryDays: daysValue, ...flags });
      qc.setQueryData(['settings.get', {}], next);
      setMessage({ ok: true, text: 'Settings saved.' });
    } catch (err) {
      setMessage({ ok: false, text: errorText(err) });
    }
  };
  const flag = (key: keyof typeof flags) => ({ checked: flags[key], onChange: (e: { target: { checked: boolean } }) => setFlags({ ...flags, [key]: e.target.checked }) });

  return (
    <form className="settings-form" onSubmit={submit} aria-label="Preferences">
      <fieldset className="card">
        <legend>Locking</legend>
        <label htmlFor={ids.minutes}>Lock automatically after (minutes)</label>
        <input id={ids.minutes} className="number" type="text" inputMode="numeric" value={minutes} onChange={(e) => setMinutes(e.target.value)} aria-describedby={ids.minutesHint} aria-invalid={minutesValue === null} />
        <p id={ids.minutesHint} className="hint">
          Counted from the last thing you did here, never while a backup, restore or verify runs. 0 keeps the vault open until you lock it.
        </p>
        <label className="check">
          <input type="checkbox" {...flag('lockOnSuspend')} />
          Lock when the computer goes to sleep
        </label>
        <label className="check">
          <input type="checkbox" {...flag('lockOnScreenLock')} aria-describedby={ids.screenHint} />
          Lock when the screen is locked
        </label>
        <p id={ids.screenHint} className="hint">
          {desktop ? 'macOS and Windows report screen locks to apps; Linux does not.' : 'Sleep and screen locks are seen only by the desktop app.'}
        </p>
      </fieldset>
      <fieldset className="card">
        <legend>Notifications</legend>
        <label className="check">
          <input type="checkbox" {...flag('notifications')} aria-describedby={ids.notifyHint} />
          Notify me when a long job ends while the window is in the background
        </label>
        <p id={ids.notifyHint} className="hint">
          {desktop ? 'Uses the system notifications.' : 'Only the desktop app shows system notifications.'}
        </p>
      </fieldset>
      <fieldset className="card">
        <legend>Scheduled verify</legend>
        <label htmlFor={ids.days}>Verify the vault every (days)</label>
        <input id={ids.days} className="number" type="text" inputMode="numeric" value={days} onChange={(e) => setDays(e.target.value)} aria-describedby={ids.daysHint} aria-invalid={daysValue === null} />
        <p id={ids.daysHint} className="hint">
          Checks every stripe of the vault while it is unlocked and nothing else runs, so damage is found while it can still be repaired. 0 turns it off.
        </p>
      </fieldset>
      <div className="settings-row">
        <button type="submit" className="primary" disabled={!changed}>
          Save settings
        </button>
        {message && (
          <span className={message.ok ? 'ok' : 'form-error'} role={message.ok ? 'status' : 'alert'}>
            {message.text}
          </span>
        )}
      </div>
    </form>
  );
}

function SavedPassword() {
  const client = useClient();
  const qc = useQueryClient();
  const keychain = useCall('keychain.status', {});
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const id = useId();
  const done = async (text: string) => {
    setMessage({ ok: true, text });
    await qc.invalidateQueries({ queryKey: ['keychain.status'] });
  };

  const remember = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      await client.call('keychain.remember', { password });
      setPassword('');
      await done('The password is saved on this computer.');
    } catch (err) {
      setMessage({ ok: false, text: errorText(err) });
    } finally {
      setBusy(false);
    }
  };
  const forget = async () => {
    try {
      await client.call('keychain.forget', {});
      await done('The saved password was deleted from this computer.');
    } catch (err) {
      setMessage({ ok: false, text: errorText(err) });
    }
  };

  const k = keychain.data;
  return (
    <section className="card saved-password" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>Password on this computer</h3>
      {k && !k.available && (
        <p className="muted" role="note">
          Not available: {k.reason}
        </p>
      )}
      {k?.available && k.remembered && (
        <div className="settings-row">
          <p className="grow">The password is saved, encrypted by the system keychain, and unlocks the vault when the app starts.</p>
          <button type="button" onClick={() => void forget()}>
            Forget the saved password
          </button>
        </div>
      )}
      {k?.available && !k.remembered && (
        <form onSubmit={remember} className="remember-form">
          <label htmlFor={id}>Vault password</label>
          <div className="settings-row">
            <input id={id} type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
            <button type="submit" disabled={!password || busy}>
              {busy ? 'Checking…' : 'Remember on this computer'}
            </button>
          </div>
          <p className="hint">It is checked against the vault first, then kept encrypted by the system keychain.</p>
        </form>
      )}
      {message && (
        <p className={message.ok ? 'ok' : 'form-error'} role={message.ok ? 'status' : 'alert'}>
          {message.text}
        </p>
      )}
    </section>
  );
}
