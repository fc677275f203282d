import { useEffect, useState } from 'react';
import type { CallResult } from '../../src-shared/contract.ts';
import type { ContractClient } from './client.ts';

type Info = CallResult<'app.info'>;

export function App({ client }: { client: ContractClient }) {
  const [info, setInfo] = useState<Info | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    client.call('app.info', {}).then(setInfo, (err: Error) => setError(err.message));
  }, [client]);

  return (
    <div className="app">
      <header className="titlebar">
        <h1>MMRY Vault</h1>
        <span className="status" role="status" aria-live="polite">
          {error ? `Not connected: ${error}` : info ? `Connected · ${info.transport} · v${info.version}` : 'Connecting…'}
        </span>
      </header>
      <main className="welcome">
        <h2>Your projects, kept safe</h2>
        <p>Drop a project folder here to keep it as versioned, deduplicated, encrypted snapshots that repair themselves.</p>
      </main>
    </div>
  );
}
