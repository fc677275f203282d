import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SafeStorage } from '../keychain.ts';

/**
 * A stand-in for Electron's safeStorage: real AES-GCM under a key held in
 * memory, like the OS keychain's. Replacing the key is "the keychain changed".
 */
export class FakeSafeStorage implements SafeStorage {
  key = randomBytes(32);
  backend = 'gnome_libsecret';
  available = true;
  reEncrypt = false;
  async isAsyncEncryptionAvailable() {
    return this.available;
  }
  getSelectedStorageBackend() {
    return this.backend;
  }
  async encryptStringAsync(plain: string) {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return Buffer.concat([iv, c.getAuthTag(), body]);
  }
  async decryptStringAsync(sealed: Buffer) {
    const d = createDecipheriv('aes-256-gcm', this.key, sealed.subarray(0, 12));
    d.setAuthTag(sealed.subarray(12, 28));
    const result = Buffer.concat([d.update(sealed.subarray(28)), d.final()]).toString('utf8');
    return { result, shouldReEncrypt: this.reEncrypt };
  }
}
