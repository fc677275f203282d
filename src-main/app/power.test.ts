import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PREFERENCES } from '../../src-shared/contract.ts';
import { lockOnPowerEvents, lockReasonFor } from './power.ts';
import type { PowerEvents, PowerLockReason } from './power.ts';

describe('locking on power events', () => {
  it('locks on suspend and screen lock as the settings say, read at the moment of the event', () => {
    const monitor = new EventEmitter();
    const prefs = { ...DEFAULT_PREFERENCES };
    const locks: PowerLockReason[] = [];
    lockOnPowerEvents(monitor as unknown as PowerEvents, () => prefs, (r) => locks.push(r));
    monitor.emit('suspend');
    monitor.emit('lock-screen');
    prefs.lockOnSuspend = false;
    monitor.emit('suspend');
    monitor.emit('lock-screen');
    prefs.lockOnScreenLock = false;
    monitor.emit('lock-screen');
    expect(locks).toEqual(['suspend', 'screen-lock', 'screen-lock']);
  });

  it('maps each event to its reason', () => {
    expect(lockReasonFor('suspend', { lockOnSuspend: true, lockOnScreenLock: false })).toBe('suspend');
    expect(lockReasonFor('lock-screen', { lockOnSuspend: true, lockOnScreenLock: false })).toBeNull();
  });
});
