import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PasswordMemory, SAVED_PASSWORDS_DIR } from './keychain.ts';
import { FakeSafeStorage } from './testing/fake-safe-storage.ts';

const VAULT = '0123456789abcdef0123456789abcdef';
const OTHER = 'fedcba9876543210fedcba9876543210';
const dirs: string[] = [];
function setup(platform: NodeJS.Platform = 'linux') {
  const dir = mkdtempSync(join(tmpdir(), 'mmry-keychain-'));
  dirs.push(dir);
  const safe = new FakeSafeStorage();
  return { dir, safe, memory: new PasswordMemory(safe, dir, platform) };
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('PasswordMemory', () => {
  it('saves only ciphertext, per vault, and gives the password back', async () => {
    const { dir, memory } = setup();
    await memory.remember(VAULT, 'correct horse battery staple');
    expect(memory.isRemembered(VAULT)).toBe(true);
    expect(memory.isRemembered(OTHER)).toBe(false);
    const files = readdirSync(join(dir, SAVED_PASSWORDS_DIR));
    expect(files).toEqual([VAULT]);
    expect(readFileSync(join(dir, SAVED_PASSWORDS_DIR, VAULT)).includes('horse')).toBe(false);
    await expect(memory.recall(VAULT)).resolves.toEqual({ password: 'correct horse battery staple' });
    await expect(memory.recall(OTHER)).resolves.toMatchObject({ problem: expect.stringMatching(/No password is saved/) });
  });

  it("refuses Linux's basic_text backend, saying why in plain words, and saves nothing", async () => {
    const { dir, safe, memory } = setup('linux');
    safe.backend = 'basic_text';
    const availability = await memory.availability();
    expect(availability.available).toBe(false);
    expect(availability.reason).toMatch(/no system keychain/);
    expect(availability.reason).toMatch(/readable by any program/);
    await expect(memory.remember(VAULT, 'pw')).rejects.toMatchObject({ kind: 'invalid-argument', message: availability.reason });
    expect(() => readdirSync(join(dir, SAVED_PASSWORDS_DIR))).toThrow();
  });

  it('refuses when the keychain is not available, on any platform', async () => {
    const { safe, memory } = setup('darwin');
    safe.backend = 'basic_text'; // ignored outside Linux
    expect((await memory.availability()).available).toBe(true);
    safe.available = false;
    expect(await memory.availability()).toMatchObject({ available: false, reason: expect.stringMatching(/not available/) });
  });

  it('falls back with a clear sentence, never a throw, when the keychain changed', async () => {
    const { safe, memory } = setup();
    await memory.remember(VAULT, 'secret password');
    safe.key = randomBytes(32);
    const recalled = await memory.recall(VAULT);
    expect(recalled).toEqual({ problem: expect.stringMatching(/could not be read.*keychain changed.*Type the password/) });
    // Saving again under the new keychain works.
    await memory.remember(VAULT, 'secret password');
    await expect(memory.recall(VAULT)).resolves.toEqual({ password: 'secret password' });
  });

  it('re-encrypts when the keychain asks for it, and forgets on request', async () => {
    const { dir, safe, memory } = setup();
    await memory.remember(VAULT, 'pw one');
    const before = readFileSync(join(dir, SAVED_PASSWORDS_DIR, VAULT));
    safe.reEncrypt = true;
    await expect(memory.recall(VAULT)).resolves.toEqual({ password: 'pw one' });
    expect(readFileSync(join(dir, SAVED_PASSWORDS_DIR, VAULT)).equals(before)).toBe(false);
    expect(memory.forget(VAULT)).toBe(true);
    expect(memory.forget(VAULT)).toBe(false);
    expect(memory.isRemembered(VAULT)).toBe(false);
  });

  it('never builds a file name from anything but a vault id', async () => {
    const { memory } = setup();
    await expect(memory.remember('../../etc/passwd', 'x')).rejects.toThrow(/32 hex digits/);
  });
});
