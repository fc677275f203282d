/**
 * Where a finished restore or export put its files. In the desktop app a
 * restored folder opens in the OS file manager (`app.show-folder`); in a
 * browser, which cannot open folders, the path is shown with a copy button.
 */
import { Copy, FolderOpen } from 'lucide-react';
import { useId, useRef, useState } from 'react';
import { errorText, useCall, useClient } from '../api.tsx';

export function JobPlace({ path, kind }: { path: string; kind: 'restore' | 'export' }) {
  const info = useCall('app.info', {}, { staleTime: Infinity });
  const client = useClient();
  const [said, setSaid] = useState<{ text: string; bad: boolean } | null>(null);
  const field = useRef<HTMLInputElement>(null);
  const id = useId();
  const label = kind === 'restore' ? 'Restored into' : 'Saved as';

  const show = async () => {
    setSaid(null);
    try {
      await client.call('app.show-folder', { path });
    } catch (err) {
      setSaid({ text: errorText(err), bad: true });
    }
  };
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(path);
      setSaid({ text: 'Path copied.', bad: false });
    } catch {
      // No clipboard access (an insecure page, a denied permission): select it for Ctrl+C instead.
      field.current?.select();
      setSaid({ text: 'The path is selected: press Ctrl+C (⌘C on a Mac) to copy it.', bad: false });
    }
  };

  return (
    <div className="job-place">
      <label htmlFor={id} className="muted">
        {label}
      </label>
      <input id={id} ref={field} type="text" readOnly value={path} className="path" onFocus={(e) => e.target.select()} />
      {kind === 'restore' && info.data?.openFolders ? (
        <button type="button" onClick={() => void show()}>
          <FolderOpen size={14} aria-hidden /> Show in file manager
        </button>
      ) : (
        <button type="button" onClick={() => void copy()} aria-label={`Copy path: ${path}`}>
          <Copy size={14} aria-hidden /> Copy path
        </button>
      )}
      <span role="status" className={said?.bad ? 'form-error' : 'muted small'}>
        {said?.text ?? ''}
      </span>
    </div>
  );
}
