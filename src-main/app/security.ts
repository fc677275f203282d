/**
 * The Electron security checklist as pure policy, so it is unit-tested without
 * launching Electron: window preferences, the content security policy, which
 * navigations are allowed, and which IPC senders are trusted.
 */

/** The renderer loads only our own bundle: no remote code, no inline script, no eval. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The dev server adds hot-reload over a WebSocket; only loopback is allowed. */
export function contentSecurityPolicy(devServerUrl?: string): string {
  if (!devServerUrl) return CONTENT_SECURITY_POLICY;
  const origin = new URL(devServerUrl).origin;
  const ws = origin.replace(/^http/, 'ws');
  return CONTENT_SECURITY_POLICY.replace("connect-src 'self'", `connect-src 'self' ${origin} ${ws}`);
}

export interface SecureWebPreferences {
  preload: string;
  sandbox: true;
  contextIsolation: true;
  nodeIntegration: false;
  nodeIntegrationInWorker: false;
  webSecurity: true;
  allowRunningInsecureContent: false;
  webviewTag: false;
  spellcheck: boolean;
}

export function secureWebPreferences(preload: string): SecureWebPreferences {
  return {
    preload,
    sandbox: true,
    contextIsolation: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    spellcheck: false,
  };
}

/**
 * The app's own pages: the packaged renderer (file:// inside the app bundle)
 * or, during development only, the electron-vite dev server on loopback.
 */
export function isAppUrl(url: string, appEntry: string, devServerUrl?: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (devServerUrl) {
    const dev = new URL(devServerUrl);
    if (parsed.origin === dev.origin && (dev.hostname === 'localhost' || dev.hostname === '127.0.0.1')) return true;
  }
  if (parsed.protocol !== 'file:') return false;
  const entry = new URL(appEntry);
  return parsed.pathname === entry.pathname;
}

/** Navigation away from the app page is never allowed; links open nowhere. */
export function allowNavigation(url: string, appEntry: string, devServerUrl?: string): boolean {
  return isAppUrl(url, appEntry, devServerUrl);
}

export interface SenderFrame {
  url: string;
  /** True when the frame is the top frame of its window. */
  isMainFrame: boolean;
}

/** Every IPC message must come from the main frame of our own page. */
export function isTrustedSender(frame: SenderFrame | null | undefined, appEntry: string, devServerUrl?: string): boolean {
  if (!frame || !frame.isMainFrame) return false;
  return isAppUrl(frame.url, appEntry, devServerUrl);
}
