/** The note and tags of one snapshot, edited in a dialog (Radix Dialog: focus trap, Escape, labelled). */
import * as Dialog from '@radix-ui/react-dialog';
import { useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import type { FormEvent } from 'react';
import type { CallResult } from '../../../src-shared/contract.ts';
import { errorText, useClient } from '../api.tsx';
import { formatDate } from '../lib/format.ts';
import { formatTags, parseTags } from '../lib/labels.ts';
import { DialogFooter } from './Dialogs.tsx';

type Snapshot = CallResult<'snapshots.list'>[number];

export function LabelsDialog({ snapshot, onClose }: { snapshot: Snapshot | null; onClose: () => void }) {
  return (
    <Dialog.Root open={snapshot !== null} onOpenChange={(open) => !open && onClose()}>
      <Dialog.Portal>
        <Dialog.Overlay className="overlay" />
        <Dialog.Content className="dialog">{snapshot && <LabelsForm snapshot={snapshot} onClose={onClose} />}</Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

function LabelsForm({ snapshot, onClose }: { snapshot: Snapshot; onClose: () => void }) {
  const client = useClient();
  const qc = useQueryClient();
  const [note, setNote] = useState(snapshot.note ?? '');
  const [tagText, setTagText] = useState(formatTags(snapshot.tags));
  const [error, setError] = useState<string | null>(null);
  const noteId = useId();
  const tagsId = useId();
  const parsed = parseTags(tagText);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (parsed.problem) return;
    setError(null);
    try {
      await client.call('snapshot.set-labels', { snapshotId: snapshot.id, note: note.trim() ? note : null, tags: parsed.tags });
      await qc.invalidateQueries({ queryKey: ['snapshots.list'] });
      onClose();
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <form onSubmit={submit}>
      <Dialog.Title>Note and tags</Dialog.Title>
      <Dialog.Description className="muted">For the snapshot of {formatDate(snapshot.createdAt)}. They help you find it again; the files stay as they are.</Dialog.Description>
      <label htmlFor={noteId}>Note</label>
      <textarea id={noteId} value={note} onChange={(e) => setNote(e.target.value)} rows={3} maxLength={2000} placeholder="What this snapshot is, e.g. “sent to the publisher”" autoFocus />
      <label htmlFor={tagsId}>Tags</label>
      <input id={tagsId} type="text" value={tagText} onChange={(e) => setTagText(e.target.value)} placeholder="release, v1.2" spellCheck={false} aria-invalid={parsed.problem !== null} aria-describedby={`${tagsId}-hint`} />
      <p id={`${tagsId}-hint`} className={parsed.problem ? 'field-error' : 'hint'}>
        {parsed.problem ?? 'Separate tags with commas.'}
      </p>
      <DialogFooter error={error} submit="Save" disabled={parsed.problem !== null} />
    </form>
  );
}
