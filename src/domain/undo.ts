import type { TagChange } from './tags.js'

/** What undoing one logged change means for its contact. */
export type UndoDecision =
  | { contactId: string; kind: 'restore'; remove: string[]; add: string[] }
  | { contactId: string; kind: 'skip'; reason: 'changed-since' | 'deleted' | 'tags-gone' }

/**
 * Undo of one contact's change by an activity: take back what it added, put back what it
 * removed. A contact is left alone when it was deleted, or when any later change (by anyone,
 * through either API) touched one of those tags: the later change wins, and the undo reports
 * the contact instead of overwriting it. Tags renamed or deleted since cannot be matched by
 * name and are left out; a contact with none left is reported too.
 */
export function decideUndo(
  change: TagChange & { contactId: string },
  laterChanges: readonly TagChange[],
  contactDeleted: boolean,
  tagIdsByName: ReadonlyMap<string, string>,
): UndoDecision {
  const { contactId } = change
  if (contactDeleted) return { contactId, kind: 'skip', reason: 'deleted' }
  const touched = new Set([...change.tagsAdded, ...change.tagsRemoved])
  const changedSince = laterChanges.some(
    (later) => later.tagsAdded.some((t) => touched.has(t)) || later.tagsRemoved.some((t) => touched.has(t)),
  )
  if (changedSince) return { contactId, kind: 'skip', reason: 'changed-since' }
  const ids = (names: readonly string[]) =>
    names.map((n) => tagIdsByName.get(n)).filter((id): id is string => id !== undefined)
  const remove = ids(change.tagsAdded)
  const add = ids(change.tagsRemoved)
  if (remove.length === 0 && add.length === 0) return { contactId, kind: 'skip', reason: 'tags-gone' }
  return { contactId, kind: 'restore', remove, add }
}

export const UNDO_SKIP_MESSAGES: Record<Extract<UndoDecision, { kind: 'skip' }>['reason'], string> = {
  'changed-since': 'left alone: its tags were changed again after the activity',
  deleted: 'left alone: the contact was deleted after the activity',
  'tags-gone': 'left alone: the tags were renamed or deleted after the activity',
}
