import { describe, expect, it, vi } from 'vitest';
import { VaultError } from '../engine/errors.ts';
import { createDispatcher } from './dispatch.ts';
import type { Handlers } from './dispatch.ts';

function handlers(overrides: Partial<Handlers> = {}): Handlers {
  // Only the calls these tests make; the rest are never reached.
  return {
    'app.info': () => ({ name: 'MMRY Vault', version: '1.2.3', platform: 'linux', nodeVersion: '24', transport: 'serve' }),
    'op.cancel': ({ opId }) => ({ cancelled: opId === 'known' }),
    ...overrides,
  } as Handlers;
}

describe('dispatcher', () => {
  it('answers a valid call with its value', async () => {
    const dispatch = createDispatcher(handlers());
    await expect(dispatch('op.cancel', { opId: 'known' })).resolves.toEqual({ ok: true, value: { cancelled: true } });
  });

  it('refuses names outside the contract, including prototype keys', async () => {
    const dispatch = createDispatcher(handlers());
    for (const name of ['nope', '__proto__', 'constructor', 42, null]) {
      const out = await dispatch(name, {});
      expect(out).toMatchObject({ ok: false, error: { kind: 'unknown-call' } });
    }
  });

  it('validates arguments against the schema and never calls the handler with bad ones', async () => {
    const spy = vi.fn(() => ({ cancelled: false }));
    const dispatch = createDispatcher(handlers({ 'op.cancel': spy }));
    for (const args of [{ opId: 7 }, { opId: '' }, { opId: 'x', extra: true }, 'text', [1]]) {
      const out = await dispatch('op.cancel', args);
      expect(out.ok).toBe(false);
      if (!out.ok) {
        expect(out.error.kind).toBe('invalid-request');
        expect(out.error.message).toMatch(/^Invalid arguments for op\.cancel/);
      }
    }
    expect(spy).not.toHaveBeenCalled();
  });

  it('passes a VaultError through with its kind and sentence', async () => {
    const dispatch = createDispatcher(handlers({ 'op.cancel': () => { throw new VaultError('wrong-password', 'The vault password is wrong.'); } }));
    await expect(dispatch('op.cancel', { opId: 'a' })).resolves.toEqual({ ok: false, error: { kind: 'wrong-password', message: 'The vault password is wrong.' } });
  });

  it('hides unexpected errors behind a generic sentence and logs them', async () => {
    const log = vi.fn();
    const dispatch = createDispatcher(handlers({ 'app.info': () => { throw new TypeError('secret internals at /home/x'); } }), { log });
    const out = await dispatch('app.info', {});
    expect(out).toMatchObject({ ok: false, error: { kind: 'internal' } });
    if (!out.ok) expect(out.error.message).not.toContain('secret');
    expect(log).toHaveBeenCalledOnce();
  });
});
