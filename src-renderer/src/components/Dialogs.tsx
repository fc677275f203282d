/**
 * Restore and export dialogs (Radix Dialog: focus trap, Escape, labelled).
 * A restore goes back where the files came from (the project's folder) or
 * into another folder, typed or picked with the native dialog, and says what
 * happens to a file that is already there.
 */
import * as Dialog from '@radix-ui/react-dialog';
import { useId, useState } from 'react';
import type { FormEvent } from 'react';
import type { CallArgs } from '../../../src-shared/contract.ts';
import { errorText, useClient } from '../api.tsx';
import { useJobs } from '../actions.ts';
import { FormError } from './FormError.tsx';

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

interface JobDialogProps {
  request: JobRequest | null;
  onClose: () => void;
  nativeDialogs: boolean;
  /** The project's source folder, offered as the restore's original location. */
  originalFolder?: string | undefined;
}

export function JobDialog({ request, onClose, nativeDialogs, originalFolder }: JobDialogProps) {
  return (
    <Dialog.Root open={request !== null} onOpenChange={(open) => !open && onClose()}>
      <Dialog.Portal>
        <Dialog.Overlay className="overlay" />
        <Dialog.Content className="dialog">{request && <JobForm request={request} onClose={onClose} nativeDialogs={nativeDialogs} originalFolder={originalFolder} />}</Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

function JobForm({ request, onClose, nativeDialogs, originalFolder }: { request: JobRequest; onClose: () => void; nativeDialogs: boolean; originalFolder: string | undefined }) {
  const client = useClient();
  const jobs = useJobs();
  const restoring = request.kind === 'restore';
  const offerOriginal = restoring && originalFolder !== undefined;
  const [where, setWhere] = useState<'original' | 'folder'>(offerOriginal ? 'original' : 'folder');
  const [target, setTarget] = useState('');
  const [conflict, setConflict] = useState<Conflict>('keep-both');
  const [error, setError] = useState<string | null>(null);
  const id = useId();
  const toOriginal = offerOriginal && where === 'original';
  const destination = toOriginal ? originalFolder! : target.trim();

  const choose = async () => {
    try {
      const { path } = await client.call('dialog.pick-folder', { title: restoring ? 'Restore into folder' : 'Save the zip in folder' });
      if (path) {
        setTarget(restoring ? path : `${path}/${request.label}.zip`);
        setWhere('folder');
      }
    } catch (err) {
      setError(errorText(err));
    }
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const paths = request.paths.length > 0 ? { paths: request.paths } : {};
    try {
      if (restoring) await jobs.restore({ snapshotId: request.snapshotId, target: destination, conflict, ...paths }, request.label);
      else await jobs.exportZip({ snapshotId: request.snapshotId, target: destination, ...paths }, request.label);
      onClose();
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <form onSubmit={submit}>
      <Dialog.Title>{restoring ? `Restore ${request.label}` : `Export ${request.label} as zip`}</Dialog.Title>
      <Dialog.Description className="muted">
        {!restoring ? 'The zip file holds the files with their folders.' : toOriginal ? 'Files go back where they came from, each in its own folder.' : 'Files are restored with their folders, below the folder you choose.'}
      </Dialog.Description>
      {offerOriginal ? (
        <fieldset className="conflicts">
          <legend>Restore to</legend>
          <label className="radio">
            <input type="radio" name="where" value="original" checked={where === 'original'} onChange={() => setWhere('original')} />
            <span>
              <strong>Original folder</strong> <code className="path muted">{originalFolder}</code>
            </span>
          </label>
          <label className="radio">
            <input type="radio" name="where" value="folder" checked={where === 'folder'} onChange={() => setWhere('folder')} />
            <span>
              <strong>Another folder</strong>
            </span>
          </label>
          <TargetField
            id={id}
            label="Restore into folder"
            target={target}
            setTarget={(t) => {
              setTarget(t);
              setWhere('folder');
            }}
            choose={nativeDialogs ? () => void choose() : null}
            placeholder="/home/you/restored"
          />
        </fieldset>
      ) : (
        <TargetField id={id} label={restoring ? 'Restore into folder' : 'Zip file to write'} target={target} setTarget={setTarget} choose={nativeDialogs ? () => void choose() : null} placeholder={restoring ? '/home/you/restored' : '/home/you/export.zip'} autoFocus />
      )}
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
      {toOriginal && conflict === 'overwrite' && (
        <p className="warning-box" role="note">
          Files in {originalFolder} that differ from this snapshot are replaced, and what they hold now is lost unless a newer snapshot keeps it.
        </p>
      )}
      <DialogFooter error={error} submit={restoring ? 'Restore' : 'Export'} disabled={!destination} />
    </form>
  );
}

/** The end of a dialog's form: its error, if any, then Cancel and the submit button. */
export function DialogFooter({ error, submit, disabled }: { error: string | null; submit: string; disabled: boolean }) {
  return (
    <>
      <FormError message={error} />
      <div className="dialog-buttons">
        <Dialog.Close asChild>
          <button type="button">Cancel</button>
        </Dialog.Close>
        <button type="submit" className="primary" disabled={disabled}>
          {submit}
        </button>
      </div>
    </>
  );
}

/** The typed path, with the native picker beside it in the desktop app. Typing or picking a folder chooses "Another folder". */
function TargetField(props: { id: string; label: string; target: string; setTarget: (t: string) => void; placeholder: string; choose: (() => void) | null; autoFocus?: boolean }) {
  return (
    <>
      <label htmlFor={props.id}>{props.label}</label>
      <div className="field-row">
        <input
          id={props.id}
          type="text"
          value={props.target}
          onChange={(e) => props.setTarget(e.target.value)}
          placeholder={props.placeholder}
          spellCheck={false}
          autoFocus={props.autoFocus}
        />
        {props.choose && (
          <button type="button" onClick={props.choose}>
            Choose…
          </button>
        )}
      </div>
    </>
  );
}
