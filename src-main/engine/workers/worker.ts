/**
 * Worker thread entry, loaded by piscina (as .ts from source through Node's
 * type stripping, or as built .js in the Electron bundle). Every reply is a
 * value: `{ ok: true, value }` or `{ ok: false, error: { kind, message } }`,
 * so no Error object ever has to cross the thread boundary.
 */
import { workerData } from 'node:worker_threads';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { VaultError } from '../errors.ts';
import { readKeySlot } from './protocol.ts';
import type { Reply, Task, WireError, WorkerKeys } from './protocol.ts';
import { makeContext, runTask, type TaskContext } from './tasks.ts';

let context: TaskContext | undefined;

export default function handle(task: Task): unknown {
  try {
    if (task.kind === 'ping') return { ok: true, value: null } satisfies Reply;
    context ??= makeContext(keys());
    const { value, transfer } = runTask(context, task);
    const reply: Reply = { ok: true, value };
    return move({ [transferableSymbol]: transfer, [valueSymbol]: reply });
  } catch (err) {
    const reply: Reply = { ok: false, error: toWire(err) };
    return reply;
  }
}

function keys(): WorkerKeys {
  const k = readKeySlot((workerData as { keySlot: SharedArrayBuffer }).keySlot);
  if (!k) throw new VaultError('internal', 'A worker thread got a task before its keys.');
  return k;
}

function toWire(err: unknown): WireError {
  if (err instanceof VaultError) return { kind: err.kind, message: err.message };
  const detail = err instanceof Error ? err.message : String(err);
  return { kind: 'internal', message: `A worker task failed: ${detail}` };
}
