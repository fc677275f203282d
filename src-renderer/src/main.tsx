import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { createQueryClient, Providers } from './api.tsx';
import { createClient } from './client.ts';
import { OpsStore } from './ops.ts';
import './styles.css';

const client = createClient();
// Exposed for the end-to-end suite and for debugging from the dev tools.
(window as unknown as { mmryClient: typeof client }).mmryClient = client;

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Providers client={client} queryClient={createQueryClient()} ops={new OpsStore()}>
      <App />
    </Providers>
  </StrictMode>,
);
