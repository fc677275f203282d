/**
 * The app's frame: the title bar (connection, lock), then either first run,
 * unlock, or the unlocked shell with its sidebar, screen and operations.
 * The sidebar's sections are a list, so Health slots in as one more entry.
 */
import { useQueryClient } from '@tanstack/react-query';
import { Activity as ActivityIcon, BarChart3, FolderKanban, HeartPulse, Lock, Search as SearchIcon, Settings as SettingsIcon } from 'lucide-react';
import type { LucideIcon } from 'lucide-react';
import { useCallback, useEffect, useState } from 'react';
import type { DragEvent } from 'react';
import type { EventPayload } from '../../src-shared/contract.ts';
import { commandForKey } from '../../src-shared/shortcuts.ts';
import { errorText, useCall, useClient, useEvent } from './api.tsx';
import { canDropFiles, pathForDroppedFile, useDrop } from './actions.ts';
import type { DropReport } from './actions.ts';
import { readDrop } from './lib/drop.ts';
import { OpsPanel } from './components/OpsPanel.tsx';
import type { Route, Section } from './route.ts';
import { FirstRun, Unlock } from './screens/Access.tsx';
import { Activity } from './screens/Activity.tsx';
import { Health } from './screens/Health.tsx';
import { Project } from './screens/Project.tsx';
import { Projects } from './screens/Projects.tsx';
import { Search } from './screens/Search.tsx';
import { Settings } from './screens/Settings.tsx';
import { Statistics } from './screens/Statistics.tsx';

const SECTIONS: { id: Section; label: string; icon: LucideIcon }[] = [
  { id: 'projects', label: 'Projects', icon: FolderKanban },
  { id: 'search', label: 'Search', icon: SearchIcon },
  { id: 'statistics', label: 'Statistics', icon: BarChart3 },
  { id: 'health', label: 'Health', icon: HeartPulse },
  { id: 'activity', label: 'Activity', icon: ActivityIcon },
  { id: 'settings', label: 'Settings', icon: SettingsIcon },
];

export function App() {
  const info = useCall('app.info', {}, { staleTime: Infinity });
  const status = useCall('vault.status', {});
  const client = useClient();
  const qc = useQueryClient();
  const unlocked = status.data?.unlocked === true;
  // Why the vault last locked, for the unlock screen to say (idle, sleep, screen lock).
  const [lockedBy, setLockedBy] = useState<EventPayload<'vault.locked'>['reason'] | null>(null);
  useEvent('vault.locked', useCallback((p: EventPayload<'vault.locked'>) => setLockedBy(p.reason), []));

  const lock = useCallback(async () => {
    await client.call('vault.lock', {}).catch(() => undefined);
    await qc.invalidateQueries({ queryKey: ['vault.status'] });
  }, [client, qc]);

  return (
    <div className="app">
      <header className="titlebar">
        <h1>MMRY Vault</h1>
        <span className="status" role="status" aria-live="polite">
          {info.error ? `Not connected: ${errorText(info.error)}` : info.data ? `Connected · ${info.data.transport} · v${info.data.version}` : 'Connecting…'}
        </span>
        {unlocked && (
          <button type="button" onClick={() => void lock()} title="Lock the vault (Ctrl+L)">
            <Lock size={14} aria-hidden /> Lock
          </button>
        )}
      </header>
      {status.error && (
        <p className="form-error pad" role="alert">
          {errorText(status.error)}
        </p>
      )}
      {status.data && !status.data.exists && <FirstRun path={status.data.path} />}
      {status.data && status.data.exists && !unlocked && <Unlock path={status.data.path} lockedBy={lockedBy} />}
      {unlocked && <Shell nativeDialogs={info.data?.nativeDialogs ?? false} lock={lock} />}
    </div>
  );
}

function Shell({ nativeDialogs, lock }: { nativeDialogs: boolean; lock: () => Promise<void> }) {
  const [route, setRoute] = useState<Route>({ name: 'projects' });
  const [query, setQuery] = useState('');
  const [dragging, setDragging] = useState(false);
  const [dropReport, setDropReport] = useState<DropReport | null>(null);
  // The menu's Add Folder… (Ctrl+O): the Projects screen opens the picker or focuses the path field.
  const [addRequested, setAddRequested] = useState(false);
  const carryOutDrop = useDrop(setDropReport);
  const section: Section = route.name === 'project' ? 'projects' : route.name;
  const dropEnabled = canDropFiles();

  // The native menu's commands (Electron), and the same shortcuts in a browser.
  const command = useCallback(
    (c: EventPayload<'app.command'>['command']) => {
      if (c === 'lock') void lock();
      else if (c === 'add-folder') {
        setRoute({ name: 'projects' });
        setAddRequested(true);
      } else setRoute({ name: c });
    },
    [lock],
  );
  useEvent('app.command', useCallback((p: EventPayload<'app.command'>) => command(p.command), [command]));
  useEffect(() => {
    if (window.mmry) return; // Electron's menu owns the accelerators there.
    const onKey = (e: KeyboardEvent) => {
      const c = commandForKey(e.key, { ctrl: e.ctrlKey, meta: e.metaKey, alt: e.altKey, shift: e.shiftKey });
      if (c) {
        e.preventDefault();
        command(c);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [command]);

  // Files and folders dropped anywhere on the window (see lib/drop.ts). In a browser the drop is still
  // taken, so the page is not replaced by the dropped file, and the Projects screen says to type the path.
  const carriesFiles = (e: DragEvent) => Array.from(e.dataTransfer.types).includes('Files');
  const dragOver = (e: DragEvent) => {
    if (!carriesFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
    setDragging(true);
  };
  const dragLeave = (e: DragEvent) => {
    if (!(e.relatedTarget instanceof Node && e.currentTarget.contains(e.relatedTarget))) setDragging(false);
  };
  const drop = (e: DragEvent) => {
    if (!carriesFiles(e)) return;
    e.preventDefault();
    setDragging(false);
    const items = readDrop(e.dataTransfer, pathForDroppedFile());
    setRoute({ name: 'projects' });
    void carryOutDrop(items);
  };

  return (
    <div className={`shell${dragging ? ' dragging' : ''}`} onDragOver={dragOver} onDragLeave={dragLeave} onDrop={drop}>
      <nav className="sidebar" aria-label="Sections">
        <ul>
          {SECTIONS.map(({ id, label, icon: Icon }) => (
            <li key={id}>
              <button type="button" className="nav" aria-current={section === id ? 'page' : undefined} onClick={() => setRoute({ name: id })}>
                <Icon size={16} aria-hidden /> {label}
              </button>
            </li>
          ))}
        </ul>
      </nav>
      <main className="content" id="content" tabIndex={0} aria-label={SECTIONS.find((x) => x.id === section)?.label}>
        {route.name === 'projects' && <Projects go={setRoute} nativeDialogs={nativeDialogs} dropEnabled={dropEnabled} dropReport={dropReport} dismissDropReport={() => setDropReport(null)} addRequested={addRequested} addHandled={() => setAddRequested(false)} />}
        {route.name === 'project' && <Project route={route} go={setRoute} nativeDialogs={nativeDialogs} />}
        {route.name === 'search' && <Search query={query} setQuery={setQuery} go={setRoute} />}
        {route.name === 'statistics' && <Statistics />}
        {route.name === 'health' && <Health go={setRoute} />}
        {route.name === 'activity' && <Activity />}
        {route.name === 'settings' && <Settings />}
      </main>
      <OpsPanel />
    </div>
  );
}
