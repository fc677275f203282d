/** Restore and export dialogs (Radix Dialog: focus trap, Escape, labelled). */
import * as Dialog from '@radix-ui/react-dialog';
import { useId, useState } from 'react';
import type { FormEvent } from 'react';
import type { CallArgs } from '../../../src-shared/contract.ts';
import { errorText, useClient } from '../api.tsx';
import { useJobs } from '../actions.ts';

export interface JobRequest {
  kind: 'restore' | 'export';
  snapshotId: string;
  paths: string[];
  label: string;
}

type Conflict = CallArgs<'restore.start'>['conflict'];

const CONFLICTS: { value: Conflict; label: string; help: string }[] = [
  { value: 'keep-both', label: 'Keep both', help: 'Restored items that clash get a new name, e.g. "notes (restored 2).txt".' },
  { value: 'skip', label: 'Skip', help: 'Existing files are left as they are.' },
  { value: 'overwrite', label: 'Overwrite', help: 'Existing files are replaced by the restored ones.' },
];

export function JobDialog({ request, onClose, nativeDialogs }: { request: JobRequest | null; onClose: () => void; nativeDialogs: boolean }) {
  return (
    <Dialog.Root open={request !== null} onOpenChange={(open) => !open && onClose()}>
      <Dialog.Portal>
        <Dialog.Overlay className="overlay" />
        <Dialog.Content className="dialog">{request && <JobForm request={request} onClose={onClose} nativeDialogs={nativeDialogs} />}</Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

function JobForm({ request, onClose, nativeDialogs }: { request: JobRequest; onClose: () => void; nativeDialogs: boolean }) {
  const client = useClient();
  const jobs = useJobs();
  const [target, setTarget] = useState('');
  const [conflict, setConflict] = useState<Conflict>('keep-both');
  const [error, setError] = useState<string | null>(null);
  const id = useId();
  const restoring = request.kind === 'restore';

  const choose = async () => {
    try {
      const { path } = await client.call('dialog.pick-folder', { title: restoring ? 'Restore into folder' : 'Save the zip in folder' });
      if (path) setTarget(restoring ? path : `${path}/${request.label}.zip`);
    } catch (err) {
      setError(errorText(err));
    }
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const paths = request.paths.length > 0 ? { paths: request.paths } : {};
    try {
      if (restoring) await jobs.restore({ snapshotId: request.snapshotId, target: target.trim(), conflict, ...paths }, request.label);
      else await jobs.exportZip({ snapshotId: request.snapshotId, target: target.trim(), ...paths }, request.label);
      onClose();
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <form onSubmit={submit}>
      <Dialog.Title>{restoring ? `Restore ${request.label}` : `Export ${request.label} as zip`}</Dialog.Title>
      <Dialog.Description className="muted">
        {restoring ? 'Files are restored with their folders, below the folder you choose.' : 'The zip file holds the files with their folders.'}
      </Dialog.Description>
      <label htmlFor={id}>{restoring ? 'Restore into folder' : 'Zip file to write'}</label>
      <div className="row">
        <input id={id} type="text" value={target} onChange={(e) => setTarget(e.target.value)} placeholder={restoring ? '/home/you/restored' : '/home/you/export.zip'} spellCheck={false} autoFocus />
        {nativeDialogs && (
          <button type="button" onClick={() => void choose()}>
            Choose…
          </button>
        )}
      </div>
      {restoring && (
        <fieldset className="conflicts">
          <legend>If a file already exists there</legend>
          {CONFLICTS.map((c) => (
            <label key={c.value} className="radio">
              <input type="radio" name="conflict" value={c.value} checked={conflict === c.value} onChange={() => setConflict(c.value)} />
              <span>
                <strong>{c.label}</strong> <span className="muted">{c.help}</span>
              </span>
            </label>
          ))}
        </fieldset>
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <div className="dialog-buttons">
        <Dialog.Close asChild>
          <button type="button">Cancel</button>
        </Dialog.Close>
        <button type="submit" className="primary" disabled={!target.trim()}>
          {restoring ? 'Restore' : 'Export'}
        </button>
      </div>
    </form>
  );
}
