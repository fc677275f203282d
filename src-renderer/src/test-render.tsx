/**
 * For component tests only (never imported by the app): renders a node inside
 * the app's providers, over a given contract client, into a fresh element of
 * the document.
 */
import { act } from 'react';
import type { ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import type { Root } from 'react-dom/client';
import type { QueryClient } from '@tanstack/react-query';
import { createQueryClient, Providers } from './api.tsx';
import type { ContractClient } from './client.ts';
import { OpsStore } from './ops.ts';

export function renderWithServices(node: ReactNode, services: { client: ContractClient; queryClient?: QueryClient; ops?: OpsStore }): Root {
  const host = document.createElement('div');
  document.body.append(host);
  const root = createRoot(host);
  act(() =>
    root.render(
      <Providers client={services.client} queryClient={services.queryClient ?? createQueryClient()} ops={services.ops ?? new OpsStore()}>
        {node}
      </Providers>,
    ),
  );
  return root;
}
