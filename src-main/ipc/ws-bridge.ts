/**
 * `mmry serve`: the loopback bridge that carries the contract over a
 * WebSocket, so the unchanged renderer runs in an ordinary browser (headless
 * machines, and the end-to-end suite).
 *
 * Security model, since any web page the user opens could try to reach it:
 * - it binds 127.0.0.1 only;
 * - every request must carry the per-run random token, either as `?token=` or
 *   as the HttpOnly, SameSite=Strict cookie set when the page was first
 *   opened with the token; without it the answer is 403;
 * - the Host header must name the loopback address and our port (defeats DNS
 *   rebinding), and an Origin header, when present, must be our own origin
 *   (defeats cross-site requests and WebSocket hijacking).
 *
 * Wire format over the socket, JSON text frames:
 *   → { id, name, args }                 a call
 *   ← { id, outcome }                    its CallOutcome
 *   ← { event, payload }                 a contract event
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { pipeline } from 'node:stream';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import type { EventName, EventPayload } from '../../src-shared/contract.ts';
import type { Dispatch } from './dispatch.ts';

export interface BridgeOptions {
  /** Directory holding the built renderer (index.html + assets). */
  rendererDir: string;
  dispatch: Dispatch;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Fixed token for tests; random otherwise. */
  token?: string;
}

export interface Bridge {
  url: string;
  port: number;
  token: string;
  /** Sends a contract event to every connected page. */
  broadcast<E extends EventName>(event: E, payload: EventPayload<E>): void;
  close(): Promise<void>;
}

const COOKIE = 'mmry_token';
const MAX_MESSAGE_BYTES = 1 << 20;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

export async function startBridge(options: BridgeOptions): Promise<Bridge> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const server = createServer();
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const sockets = new Set<WebSocket>();

  await listen(server, options.port ?? 0);
  const port = (server.address() as AddressInfo).port;
  const guard = requestGuard(port, token);

  server.on('request', (req, res) => {
    const denied = guard(req);
    if (denied) return refuse(res, denied);
    // Whatever a request holds, it is answered: a failure here must never take the server down.
    serveStatic(options.rendererDir, req, res, token).catch(() => (res.headersSent ? res.destroy() : refuse(res, 'Bad request', 400)));
  });

  server.on('upgrade', (req, socket, head) => {
    // The socket is ours from here: a client that resets it (say, while being refused) must not
    // raise an 'error' nobody listens to, which would end the server.
    socket.on('error', () => socket.destroy());
    const denied = guard(req);
    if (denied || new URL(req.url ?? '/', 'http://x').pathname !== '/ws') {
      socket.end(`HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n${denied ?? 'Not a WebSocket endpoint'}\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('message', (data, isBinary) => void answer(ws, options.dispatch, data, isBinary));
    });
  });

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    broadcast(event, payload) {
      const frame = JSON.stringify({ event, payload });
      for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(frame);
    },
    async close() {
      for (const ws of sockets) ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Returns why a request is refused, or null when it may proceed. Exported for unit tests. */
export function requestGuard(port: number, token: string): (req: Pick<IncomingMessage, 'headers' | 'url'>) => string | null {
  const hosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const origins = new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);
  const expected = Buffer.from(token);
  const tokenMatches = (candidate: string | undefined | null): boolean => {
    if (!candidate) return false;
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  return (req) => {
    const host = req.headers.host;
    if (!host || !hosts.has(host.toLowerCase())) return 'Foreign Host header';
    const origin = req.headers.origin;
    if (origin !== undefined && !origins.has(origin.toLowerCase())) return 'Foreign Origin';
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (tokenMatches(url.searchParams.get('token')) || tokenMatches(readCookie(req.headers.cookie, COOKIE))) return null;
    return 'Missing or wrong token';
  };
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

async function answer(ws: WebSocket, dispatch: Dispatch, data: unknown, isBinary: boolean): Promise<void> {
  let id: unknown = null;
  try {
    if (isBinary) throw new Error('binary frame');
    const msg = JSON.parse(String(data)) as { id?: unknown; name?: unknown; args?: unknown };
    id = msg.id ?? null;
    const outcome = await dispatch(msg.name, msg.args);
    ws.send(JSON.stringify({ id, outcome }));
  } catch {
    ws.send(JSON.stringify({ id, outcome: { ok: false, error: { kind: 'invalid-request', message: 'The message is not a valid call.' } } }));
  }
}

async function serveStatic(root: string, req: IncomingMessage, res: ServerResponse, token: string): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 'Method not allowed', 405);
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  let rel: string;
  try {
    rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname).replace(/^\/+/, '');
  } catch {
    return refuse(res, 'Bad request: the path is not valid percent-encoding', 400); // URIError
  }
  const file = normalize(join(root, rel));
  if (!file.startsWith(normalize(root) + sep)) return refuse(res, 'Not found', 404);
  try {
    const st = await stat(file);
    if (!st.isFile()) return refuse(res, 'Not found', 404);
    res.writeHead(200, {
      'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Length': st.size,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Set-Cookie': `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`,
    });
    if (req.method === 'HEAD') return void res.end();
    // pipeline, not pipe: a read that fails (the file removed meanwhile) ends this response, not the process.
    pipeline(createReadStream(file), res, () => undefined);
  } catch {
    refuse(res, 'Not found', 404);
  }
}

function refuse(res: ServerResponse, why: string, status = 403): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(`${why}\n`);
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}
