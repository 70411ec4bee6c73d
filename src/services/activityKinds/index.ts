import type { ActivityKind } from '../../domain/activities.js'
import type { ActivityKindRunner } from './kind.js'
import { listMembershipRunner } from './listMemberships.js'
import { listMembershipUndoRunner } from './listMembershipsUndo.js'
import { taggingRunner } from './tagging.js'
import { tagsDeleteRunner } from './tagsDelete.js'
import { undoRunner } from './undo.js'

export type { ActivityKindRunner, ActivityStep } from './kind.js'
export { LeaseLost } from './kind.js'

/** What each activity kind does; a kind without a runner does not compile. */
export const ACTIVITY_KIND_RUNNERS: Readonly<Record<ActivityKind, ActivityKindRunner>> = Object.freeze({
  contacts_taggings_add: taggingRunner('add'),
  contacts_taggings_remove: taggingRunner('remove'),
  contacts_tags_delete: tagsDeleteRunner,
  contacts_taggings_undo: undoRunner,
  add_list_memberships: listMembershipRunner('add'),
  remove_list_memberships: listMembershipRunner('remove'),
  list_memberships_undo: listMembershipUndoRunner,
})
