/**
 * React glue over the contract client: a context holding the client, the
 * query cache and the operations store; query hooks keyed by call name and
 * arguments; and the one place where contract events invalidate the cache.
 */
import { QueryClient, QueryClientProvider, useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import type { UseQueryOptions } from '@tanstack/react-query';
import { createContext, useContext, useEffect, useSyncExternalStore } from 'react';
import type { ReactNode } from 'react';
import type { CallArgs, CallName, CallResult, EventName, EventPayload } from '../../src-shared/contract.ts';
import { ClientError } from './client.ts';
import type { ContractClient } from './client.ts';
import type { OpsStore } from './ops.ts';

interface Services {
  client: ContractClient;
  ops: OpsStore;
}

const ServicesContext = createContext<Services | null>(null);

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // The vault changes only through this app or its events: no refetch on focus, no retry of typed errors.
        refetchOnWindowFocus: false,
        retry: false,
        staleTime: 30_000,
      },
    },
  });
}

export function Providers({ client, queryClient, ops, children }: { client: ContractClient; queryClient: QueryClient; ops: OpsStore; children: ReactNode }) {
  return (
    <QueryClientProvider client={queryClient}>
      <ServicesContext.Provider value={{ client, ops }}>
        <EventBridge />
        {children}
      </ServicesContext.Provider>
    </QueryClientProvider>
  );
}

export function useServices(): Services {
  const s = useContext(ServicesContext);
  if (!s) throw new Error('useServices outside Providers');
  return s;
}

export function useClient(): ContractClient {
  return useServices().client;
}

export function useOps() {
  const { ops } = useServices();
  return useSyncExternalStore(ops.subscribe, ops.snapshot);
}

/** Queries that change when a job ends. */
const CHANGED_BY_JOBS: CallName[] = ['projects.list', 'snapshots.list', 'vault.stats', 'activity.list', 'search.paths', 'health.status'];

/** Contract events → operations store and cache invalidation. */
function EventBridge() {
  const { client, ops } = useServices();
  const qc = useQueryClient();
  useEffect(() => {
    const offs = [
      client.on('op.started', (a) => ops.announced(a)),
      client.on('op.progress', (p) => ops.progress(p)),
      client.on('op.finished', (f) => {
        ops.finished(f);
        for (const name of CHANGED_BY_JOBS) void qc.invalidateQueries({ queryKey: [name] });
      }),
      client.on('vault.locked', () => {
        ops.clear();
        qc.removeQueries({ predicate: (q) => q.queryKey[0] !== 'vault.status' && q.queryKey[0] !== 'app.info' });
        qc.setQueryData<CallResult<'vault.status'>>(['vault.status'], (s) => (s ? { ...s, unlocked: false } : s));
        void qc.invalidateQueries({ queryKey: ['vault.status'] });
      }),
    ];
    return () => offs.forEach((off) => off());
  }, [client, ops, qc]);
  return null;
}

/** A contract call as a cached query, keyed by name and arguments. */
export function useCall<N extends CallName>(name: N, args: CallArgs<N>, options: Omit<UseQueryOptions<CallResult<N>, ClientError>, 'queryKey' | 'queryFn'> = {}) {
  const query = useCallQuery();
  return useQuery<CallResult<N>, ClientError>({ ...query(name, args), ...options });
}

/** Several calls of one name as cached queries (pages of a listing): the same keys as `useCall`, so both share answers. */
export function useCalls<N extends CallName>(name: N, argsList: readonly CallArgs<N>[]) {
  const query = useCallQuery();
  return useQueries({ queries: argsList.map((args) => query(name, args)) });
}

/** The key and fetch of one call's query. */
function useCallQuery() {
  const client = useClient();
  const qc = useQueryClient();
  return <N extends CallName>(name: N, args: CallArgs<N>) => ({
    queryKey: [name, args] as const,
    queryFn: async (): Promise<CallResult<N>> => {
      try {
        return await client.call(name, args);
      } catch (err) {
        // The vault was locked behind our back (another page, the CLI, suspend): go to the unlock screen.
        if (err instanceof ClientError && err.kind === 'vault-locked') void qc.invalidateQueries({ queryKey: ['vault.status'] });
        throw err;
      }
    },
  });
}

export function useEvent<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): void {
  const client = useClient();
  useEffect(() => client.on(event, listener), [client, event, listener]);
}

/** The message to show for a failed call. */
export function errorText(err: unknown): string {
  if (err instanceof ClientError) return err.message;
  if (err instanceof Error) return err.message;
  return 'Something went wrong.';
}
