import { describe, expect, it } from 'vitest';
import { accelerator, commandForKey, SHORTCUT_KEYS } from './shortcuts.ts';

const ctrl = { ctrl: true, meta: false, alt: false, shift: false };

describe('shortcuts', () => {
  it('gives each command its own key', () => {
    const keys = Object.values(SHORTCUT_KEYS);
    expect(new Set(keys).size).toBe(keys.length);
    expect(accelerator('lock')).toBe('CmdOrCtrl+L');
    expect(accelerator('settings')).toBe('CmdOrCtrl+,');
  });

  it('maps Ctrl or ⌘ plus the key back to the command, and nothing else', () => {
    expect(commandForKey('l', ctrl)).toBe('lock');
    expect(commandForKey('L', { ...ctrl, ctrl: false, meta: true })).toBe('lock');
    expect(commandForKey('4', ctrl)).toBe('health');
    expect(commandForKey(',', ctrl)).toBe('settings');
    expect(commandForKey('l', { ...ctrl, ctrl: false })).toBeNull();
    expect(commandForKey('l', { ...ctrl, alt: true })).toBeNull();
    expect(commandForKey('l', { ...ctrl, shift: true })).toBeNull();
    expect(commandForKey('q', ctrl)).toBeNull();
  });
});
