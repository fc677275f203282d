/**
 * For component tests only (never imported by the app): renders a node inside
 * the app's providers, over a given contract client, into a fresh element of
 * the document; after each test every rendered root is unmounted and the
 * document emptied. Also the waits those tests share.
 */
import { act } from 'react';
import type { ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import type { Root } from 'react-dom/client';
import type { QueryClient } from '@tanstack/react-query';
import { afterEach } from 'vitest';
import { createQueryClient, Providers } from './api.tsx';
import type { ContractClient } from './client.ts';
import { OpsStore } from './ops.ts';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const rendered: Root[] = [];

/** Unmounts every root rendered so far and empties the document (also done after each test). */
export function unmountAll(): void {
  act(() => {
    for (const root of rendered.splice(0)) root.unmount();
  });
  document.body.innerHTML = '';
}
afterEach(unmountAll);

export function renderWithServices(node: ReactNode, services: { client: ContractClient; queryClient?: QueryClient; ops?: OpsStore }): Root {
  const host = document.createElement('div');
  document.body.append(host);
  const root = createRoot(host);
  rendered.push(root);
  act(() =>
    root.render(
      <Providers client={services.client} queryClient={services.queryClient ?? createQueryClient()} ops={services.ops ?? new OpsStore()}>
        {node}
      </Providers>,
    ),
  );
  return root;
}

/** Lets React and the query cache take one turn. */
export const flush = () => act(async () => await new Promise((r) => setTimeout(r, 0)));

/** Lets React and the query cache settle until `find` finds something (a query answers a few ticks later). */
export async function until<T>(find: () => T | null | undefined): Promise<T> {
  for (let i = 0; i < 50; i++) {
    const found = find();
    if (found) return found;
    await flush();
  }
  throw new Error('never appeared');
}
