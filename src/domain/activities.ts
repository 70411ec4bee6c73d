/** Lifecycle of an asynchronous activity. Terminal states never change again. */
export const ACTIVITY_STATES = Object.freeze({
  initialized: 'initialized',
  processing: 'processing',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
} as const)

export type ActivityState = (typeof ACTIVITY_STATES)[keyof typeof ACTIVITY_STATES]

export const TERMINAL_ACTIVITY_STATES: readonly ActivityState[] = Object.freeze([
  'completed',
  'failed',
  'cancelled',
])
export const RUNNABLE_ACTIVITY_STATES: readonly ActivityState[] = Object.freeze(['initialized', 'processing'])

export function isTerminalActivityState(state: string): boolean {
  return (TERMINAL_ACTIVITY_STATES as readonly string[]).includes(state)
}

export function isActivityState(value: string): value is ActivityState {
  return Object.values(ACTIVITY_STATES).includes(value as ActivityState)
}

/** The activity kinds, named by the Constant Contact route that creates them. */
export const ACTIVITY_KINDS = Object.freeze([
  'contacts_taggings_add',
  'contacts_taggings_remove',
  'contacts_tags_delete',
  /** Tagbase's own: reverts what an add/remove activity changed. */
  'contacts_taggings_undo',
  'add_list_memberships',
  'remove_list_memberships',
  /** Tagbase's own: reverts what a list-membership activity changed. */
  'list_memberships_undo',
] as const)

/** The kinds whose changes an undo can revert. */
export const UNDOABLE_ACTIVITY_KINDS: readonly ActivityKind[] = Object.freeze([
  'contacts_taggings_add',
  'contacts_taggings_remove',
  'contacts_tags_delete',
  'add_list_memberships',
  'remove_list_memberships',
])

/** The kinds that change list memberships rather than tags. */
export const LIST_MEMBERSHIP_ACTIVITY_KINDS: readonly ActivityKind[] = Object.freeze([
  'add_list_memberships',
  'remove_list_memberships',
  'list_memberships_undo',
])
export type ActivityKind = (typeof ACTIVITY_KINDS)[number]

/**
 * Constant Contact reports 1 for a freshly created activity (its own example) and 100 once done;
 * in between, the share of covered contacts already processed, never 100 before completion.
 */
export function percentDone(state: ActivityState, total: number | null, completed: number): number {
  if (state === 'completed') return 100
  if (!total || total <= 0) return state === 'initialized' ? 1 : 0
  return Math.max(1, Math.min(99, Math.floor((completed / total) * 100)))
}

export type ActivitySettings = {
  /** Contacts per transaction. */
  chunkSize: number
  /** `new_subscriber` covers contacts subscribed within this many days before the activity started. */
  newSubscriberDays: number
}

export const DEFAULT_ACTIVITY_SETTINGS: ActivitySettings = Object.freeze({
  chunkSize: 5000,
  newSubscriberDays: 30,
})

/** How long a worker's claim on an activity lasts without progress before another may take it over. */
export const DEFAULT_ACTIVITY_LEASE_MS = 30_000
