import { describe, expect, it } from 'vitest';
import { allowNavigation, CONTENT_SECURITY_POLICY, contentSecurityPolicy, isTrustedSender, secureWebPreferences } from './security.ts';

const entry = 'file:///opt/MMRY%20Vault/resources/app/out/renderer/index.html';

describe('Electron security policy', () => {
  it('uses a sandboxed, isolated renderer without Node', () => {
    expect(secureWebPreferences('/p/preload.cjs')).toMatchObject({ sandbox: true, contextIsolation: true, nodeIntegration: false, webSecurity: true, webviewTag: false, preload: '/p/preload.cjs' });
  });

  it('has a CSP with no remote scripts, no eval and no plugins', () => {
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|https?:/);
    expect(CONTENT_SECURITY_POLICY).toContain("object-src 'none'");
    expect(contentSecurityPolicy('http://localhost:5173')).toContain('connect-src \'self\' http://localhost:5173 ws://localhost:5173');
  });

  it('allows navigation only to the app page itself', () => {
    expect(allowNavigation(entry, entry)).toBe(true);
    expect(allowNavigation(`${entry}#/snapshots`, entry)).toBe(true);
    expect(allowNavigation('https://example.com/', entry)).toBe(false);
    expect(allowNavigation('file:///etc/passwd', entry)).toBe(false);
    expect(allowNavigation('javascript:alert(1)', entry)).toBe(false);
    expect(allowNavigation('not a url', entry)).toBe(false);
    expect(allowNavigation('http://localhost:5173/', entry, 'http://localhost:5173')).toBe(true);
    expect(allowNavigation('http://localhost:5174/', entry, 'http://localhost:5173')).toBe(false);
  });

  it('trusts IPC only from the main frame of the app page', () => {
    expect(isTrustedSender({ url: entry, isMainFrame: true }, entry)).toBe(true);
    expect(isTrustedSender({ url: entry, isMainFrame: false }, entry)).toBe(false);
    expect(isTrustedSender({ url: 'https://evil.example/', isMainFrame: true }, entry)).toBe(false);
    expect(isTrustedSender(null, entry)).toBe(false);
  });
});
