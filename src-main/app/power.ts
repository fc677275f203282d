/**
 * Locking on system events: when the computer goes to sleep and when the
 * screen is locked (macOS and Windows report screen locks; Linux does not).
 * Each is a setting, read when the event arrives, so a change applies at once.
 *
 * `PowerEvents` is the one method of Electron's powerMonitor this needs.
 */
import type { PreferenceValues } from './settings.ts';

export type PowerLockReason = 'suspend' | 'screen-lock';

export interface PowerEvents {
  on(event: 'suspend' | 'lock-screen', listener: () => void): unknown;
}

/** Which lock, if any, a system event calls for under these preferences. */
export function lockReasonFor(event: 'suspend' | 'lock-screen', prefs: Pick<PreferenceValues, 'lockOnSuspend' | 'lockOnScreenLock'>): PowerLockReason | null {
  if (event === 'suspend') return prefs.lockOnSuspend ? 'suspend' : null;
  return prefs.lockOnScreenLock ? 'screen-lock' : null;
}

export function lockOnPowerEvents(power: PowerEvents, prefs: () => PreferenceValues, lock: (reason: PowerLockReason) => void): void {
  for (const event of ['suspend', 'lock-screen'] as const) {
    power.on(event, () => {
      const reason = lockReasonFor(event, prefs());
      if (reason) lock(reason);
    });
  }
}
