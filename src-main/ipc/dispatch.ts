/**
 * The dispatcher: the one place where a call from the UI enters main.
 *
 * Both transports (Electron IPC and the `mmry serve` WebSocket) hand every
 * incoming message to `dispatch(name, args)`. It
 *   1. rejects names that are not in the contract ('unknown-call'),
 *   2. validates the arguments against the contract's schema ('invalid-request'),
 *   3. runs the handler and wraps its answer as a CallOutcome,
 *   4. turns any thrown error into a typed { kind, message }: a VaultError keeps
 *      its kind and sentence; anything else becomes 'internal' with a generic
 *      sentence (the stack goes to the log, never to the UI).
 * It never throws, so a malformed call cannot crash main.
 */
import type { z } from 'zod';
import { calls, isCallName } from '../../src-shared/contract.ts';
import type { CallName, CallOutcome, CallResult, Calls, ContractError } from '../../src-shared/contract.ts';
import { VaultError } from '../engine/errors.ts';

export type Handler<N extends CallName> = (args: z.output<Calls[N]['args']>) => Promise<CallResult<N>> | CallResult<N>;
export type Handlers = { [N in CallName]: Handler<N> };

export type Dispatch = (name: unknown, args: unknown) => Promise<CallOutcome>;

export interface DispatchOptions {
  /** Where unexpected errors are written (with their stack). */
  log?: (message: string, err: unknown) => void;
}

export function createDispatcher(handlers: Handlers, options: DispatchOptions = {}): Dispatch {
  const log = options.log ?? ((message, err) => console.error(message, err));
  return async (name, args) => {
    if (!isCallName(name)) {
      return fail('unknown-call', `There is no call named ${JSON.stringify(String(name)).slice(0, 80)}.`);
    }
    const parsed = calls[name].args.safeParse(args ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue && issue.path.length > 0 ? ` (${issue.path.join('.')})` : '';
      return fail('invalid-request', `Invalid arguments for ${name}${where}: ${issue?.message ?? 'malformed'}.`);
    }
    try {
      const handler = handlers[name] as (a: unknown) => unknown;
      const value = await handler(parsed.data);
      return { ok: true, value };
    } catch (err) {
      return { ok: false, error: toContractError(err, name, log) };
    }
  };
}

export function toContractError(err: unknown, name: string, log: (message: string, err: unknown) => void): ContractError {
  if (err instanceof VaultError) return { kind: err.kind, message: err.message };
  log(`Unexpected error in ${name}:`, err);
  return { kind: 'internal', message: `Something went wrong inside MMRY Vault while running ${name}; the details are in the log.` };
}

function fail(kind: string, message: string): CallOutcome {
  return { ok: false, error: { kind, message } };
}
