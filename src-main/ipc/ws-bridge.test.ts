import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket as WsClient } from 'ws';
import { createDispatcher } from './dispatch.ts';
import { createHandlers } from './handlers.ts';
import { Operations } from './operations.ts';
import { VaultSession } from './session.ts';
import { requestGuard, startBridge } from './ws-bridge.ts';
import type { Bridge } from './ws-bridge.ts';

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; cookie: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, cookie: res.headers['set-cookie']?.[0] }));
    });
    req.on('error', reject);
    req.end();
  });
}

function openSocket(url: string, headers: Record<string, string> = {}): Promise<WsClient> {
  const ws = new WsClient(url, { headers });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused with ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function roundTrip(ws: WsClient, message: string): Promise<unknown> {
  return new Promise((resolve) => {
    ws.once('message', (data) => resolve(JSON.parse(String(data))));
    ws.send(message);
  });
}

describe('mmry serve bridge', () => {
  let bridge: Bridge;
  const root = mkdtempSync(join(tmpdir(), 'mmry-bridge-'));
  const rendererDir = join(root, 'renderer');

  beforeAll(async () => {
    mkdirSync(join(rendererDir, 'assets'), { recursive: true });
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>MMRY Vault</title>');
    writeFileSync(join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(join(root, 'secret.txt'), 'outside the renderer');
    const operations = new Operations({ emit: () => {} });
    const session = new VaultSession(join(root, 'vault'), () => {});
    const dispatch = createDispatcher(createHandlers({ transport: 'serve', appVersion: '9.9.9', operations, session }));
    bridge = await startBridge({ rendererDir, dispatch, token: 'test-token-0123456789' });
  });
  afterAll(() => bridge.close());

  it('binds loopback and prints a URL with the token', () => {
    expect(bridge.url).toBe(`http://127.0.0.1:${bridge.port}/?token=test-token-0123456789`);
  });

  it('serves the page with the token and sets the session cookie', async () => {
    const res = await get(bridge.port, '/?token=test-token-0123456789');
    expect(res.status).toBe(200);
    expect(res.body).toContain('MMRY Vault');
    expect(res.cookie).toMatch(/^mmry_token=test-token-0123456789; HttpOnly; SameSite=Strict/);
    const asset = await get(bridge.port, '/assets/app.js', { cookie: 'mmry_token=test-token-0123456789' });
    expect(asset.status).toBe(200);
  });

  it('refuses requests without the token, with a wrong one, or with foreign Host or Origin', async () => {
    expect((await get(bridge.port, '/')).status).toBe(403);
    expect((await get(bridge.port, '/?token=wrong')).status).toBe(403);
    expect((await get(bridge.port, '/?token=test-token-0123456789', { host: 'evil.example:80' })).status).toBe(403);
    expect((await get(bridge.port, '/?token=test-token-0123456789', { origin: 'http://evil.example' })).status).toBe(403);
  });

  it('never serves files outside the renderer folder', async () => {
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt']) {
      const res = await get(bridge.port, `${path}?token=test-token-0123456789`);
      expect(res.status).not.toBe(200);
      expect(res.body).not.toContain('outside the renderer');
    }
  });

  it('keeps serving when clients reset their connections while being refused a WebSocket', async () => {
    const resets = Array.from(
      { length: 100 },
      () =>
        new Promise<void>((resolve) => {
          const s = connect(bridge.port, '127.0.0.1', () => {
            s.write(`GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${bridge.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
            setImmediate(() => s.resetAndDestroy());
          });
          s.on('error', () => undefined);
          s.on('close', () => resolve());
        }),
    );
    await Promise.all(resets);
    await new Promise((r) => setTimeout(r, 100));
    expect((await get(bridge.port, '/?token=test-token-0123456789')).status).toBe(200);
  });

  it('answers a path that is not valid percent-encoding with 400, and keeps serving', async () => {
    for (const path of ['/%E0%A4%A', '/%', '/assets/%zz.js']) {
      const res = await get(bridge.port, path, { cookie: 'mmry_token=test-token-0123456789' });
      expect(res.status, path).toBe(400);
    }
    expect((await get(bridge.port, '/?token=test-token-0123456789')).status).toBe(200);
  });

  it('carries contract calls over the WebSocket, with typed errors for malformed ones', async () => {
    const ws = await openSocket(`ws://127.0.0.1:${bridge.port}/ws?token=test-token-0123456789`);
    await expect(roundTrip(ws, JSON.stringify({ id: 1, name: 'app.info', args: {} }))).resolves.toMatchObject({ id: 1, outcome: { ok: true, value: { transport: 'serve', version: '9.9.9' } } });
    await expect(roundTrip(ws, JSON.stringify({ id: 2, name: 'op.cancel', args: { opId: 5 } }))).resolves.toMatchObject({ id: 2, outcome: { ok: false, error: { kind: 'invalid-request' } } });
    await expect(roundTrip(ws, 'not json')).resolves.toMatchObject({ id: null, outcome: { ok: false, error: { kind: 'invalid-request' } } });
    ws.close();
  });

  it('refuses a WebSocket without the token, from a foreign origin, or on another path', async () => {
    await expect(openSocket(`ws://127.0.0.1:${bridge.port}/other?token=test-token-0123456789`)).rejects.toThrow('refused with 403');
    await expect(openSocket(`ws://127.0.0.1:${bridge.port}/ws`)).rejects.toThrow('refused with 403');
    await expect(openSocket(`ws://127.0.0.1:${bridge.port}/ws?token=test-token-0123456789`, { origin: 'http://evil.example' })).rejects.toThrow('refused with 403');
  });
});

describe('requestGuard', () => {
  const guard = requestGuard(4321, 'tok');
  it('accepts loopback hosts with the token in query or cookie', () => {
    expect(guard({ headers: { host: '127.0.0.1:4321' }, url: '/?token=tok' })).toBeNull();
    expect(guard({ headers: { host: 'localhost:4321', cookie: 'a=b; mmry_token=tok' }, url: '/x' })).toBeNull();
    expect(guard({ headers: { host: 'localhost:4321', origin: 'http://localhost:4321' }, url: '/?token=tok' })).toBeNull();
  });
  it('refuses DNS-rebinding hosts and other ports', () => {
    expect(guard({ headers: { host: 'attacker.com:4321' }, url: '/?token=tok' })).toMatch(/Host/);
    expect(guard({ headers: { host: '127.0.0.1:9999' }, url: '/?token=tok' })).toMatch(/Host/);
    expect(guard({ headers: {}, url: '/?token=tok' })).toMatch(/Host/);
  });
  it('refuses a token of another length or value', () => {
    expect(guard({ headers: { host: '127.0.0.1:4321' }, url: '/?token=to' })).toMatch(/token/);
    expect(guard({ headers: { host: '127.0.0.1:4321' }, url: '/?token=tox' })).toMatch(/token/);
  });
});
