/**
 * The renderer's contract client. Typed from `src-shared/contract.ts`; runs
 * over whichever transport the page has: `window.mmry` (the Electron preload)
 * or the `mmry serve` WebSocket. Screens use `client.call(...)`, which returns
 * the result or throws a ClientError carrying the contract error's kind and
 * human message.
 */
import type { CallArgs, CallName, CallOutcome, CallResult, EventName, EventPayload, MmryBridge } from '../../src-shared/contract.ts';

export interface Transport {
  call(name: string, args: unknown): Promise<CallOutcome>;
  on(event: string, listener: (payload: unknown) => void): () => void;
}

export class ClientError extends Error {
  readonly kind: string;
  constructor(kind: string, message: string) {
    super(message);
    this.name = 'ClientError';
    this.kind = kind;
  }
}

export class ContractClient {
  readonly transport: Transport;
  constructor(transport: Transport) {
    this.transport = transport;
  }

  async call<N extends CallName>(name: N, args: CallArgs<N>): Promise<CallResult<N>> {
    const outcome = await this.transport.call(name, args);
    if (!outcome.ok) throw new ClientError(outcome.error.kind, outcome.error.message);
    return outcome.value as CallResult<N>;
  }

  /** The raw outcome, for callers (and tests) that want the typed error as a value. */
  callRaw(name: string, args: unknown): Promise<CallOutcome> {
    return this.transport.call(name, args);
  }

  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    return this.transport.on(event, listener as (p: unknown) => void);
  }
}

export function bridgeTransport(bridge: MmryBridge): Transport {
  return {
    call: (name, args) => bridge.call(name as CallName, args as never),
    on: (event, listener) => bridge.on(event as EventName, listener),
  };
}

interface Pending {
  resolve: (o: CallOutcome) => void;
}

/**
 * The `mmry serve` transport. The server authenticated this page with a token
 * cookie when it was loaded, and the browser sends that cookie with the
 * WebSocket handshake. Calls made while connecting are queued; if the socket
 * closes, pending calls fail with a 'transport' error and the next call
 * reconnects.
 */
export function webSocketTransport(url: string, WebSocketImpl: typeof WebSocket = WebSocket): Transport {
  let socket: WebSocket | null = null;
  let opened: Promise<WebSocket> | null = null;
  let nextId = 1;
  const pending = new Map<number, Pending>();
  const listeners = new Map<string, Set<(p: unknown) => void>>();

  const connect = (): Promise<WebSocket> => {
    if (opened) return opened;
    opened = new Promise((resolve, reject) => {
      const ws = new WebSocketImpl(url);
      ws.onopen = () => {
        socket = ws;
        resolve(ws);
      };
      ws.onerror = () => reject(new ClientError('transport', 'Could not reach the vault service.'));
      ws.onclose = () => {
        socket = null;
        opened = null;
        for (const p of pending.values()) p.resolve({ ok: false, error: { kind: 'transport', message: 'The connection to the vault service was lost.' } });
        pending.clear();
      };
      ws.onmessage = (msg) => {
        const data = JSON.parse(String(msg.data)) as { id?: number; outcome?: CallOutcome; event?: string; payload?: unknown };
        if (data.event !== undefined) {
          for (const l of listeners.get(data.event) ?? []) l(data.payload);
        } else if (typeof data.id === 'number') {
          pending.get(data.id)?.resolve(data.outcome!);
          pending.delete(data.id);
        }
      };
    });
    return opened;
  };

  return {
    async call(name, args) {
      let ws: WebSocket;
      try {
        ws = socket ?? (await connect());
      } catch (err) {
        const e = err as ClientError;
        return { ok: false, error: { kind: 'transport', message: e.message } };
      }
      const id = nextId++;
      return new Promise<CallOutcome>((resolve) => {
        pending.set(id, { resolve });
        ws.send(JSON.stringify({ id, name, args }));
      });
    },
    on(event, listener) {
      void connect().catch(() => undefined);
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener);
      return () => set.delete(listener);
    },
  };
}

/** Picks the transport this page runs on. */
export function createClient(win: Window = window): ContractClient {
  if (win.mmry) return new ContractClient(bridgeTransport(win.mmry));
  const proto = win.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return new ContractClient(webSocketTransport(`${proto}//${win.location.host}/ws`));
}
