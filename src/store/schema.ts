import type { ColumnType, Generated } from 'kysely'
import type { ActivityKind, ActivityState } from '../domain/activities.js'

/**
 * Table types shared by SQLite and PostgreSQL. Timestamps are ISO-8601 UTC strings
 * (`Date#toISOString`) on both engines so they compare and sort identically everywhere.
 * Booleans are 0/1 integers for the same reason.
 */
export interface LocationsTable {
  id: string
  name: string
  created_at: string
  /** ISO country phones without `+` are read in (migration 0011); null: US. */
  phone_country: Generated<string | null>
}

export interface ContactsTable {
  location_id: string
  id: string
  first_name: string | null
  last_name: string | null
  name: string | null
  email: string | null
  email_lower: string | null
  phone: string | null
  company_name: string | null
  address1: string | null
  city: string | null
  state: string | null
  postal_code: string | null
  country: string | null
  website: string | null
  timezone: string | null
  source: string | null
  date_of_birth: string | null
  assigned_to: string | null
  dnd: number
  /** JSON object of less-used fields kept verbatim (gender, dndSettings, customFields...). */
  extra: string
  /** Lower-cased name, email, phone and company, for the `query` filter. */
  search_text: string
  created_at: string
  updated_at: string
  deleted_at: string | null
  /** When the contact last became subscribed (creation, or resubscription). */
  subscribed_at: string | null
  unsubscribed_at: string | null
  /**
   * Creation order within the location, for activity snapshots (only grows). PostgreSQL numbers
   * contacts itself (identity column); on SQLite store/contacts.ts writes the next number.
   */
  seq: Generated<number>
  /**
   * The contact's newest ContactTagUpdate event, where the chain of its tag changes starts
   * (events.previous_tag_event_id, migration 0024); null before its first. Written only with
   * those events: by the statements that write them, or on insert after them (an import).
   */
  last_tag_event_id: ColumnType<number | null, number | null | undefined, number>
}

export interface TagsTable {
  location_id: string
  id: string
  name: string
  created_at: string
  updated_at: string
  /** Constant Contact's free-text origin of a tag; null when created elsewhere. */
  tag_source: string | null
  /** The name as written in the Constant Contact dialect; null: show `name` (migration 0010). */
  display_name: Generated<string | null>
}

/** A tag row is its key alone (migration 0021). */
export interface ContactTagsTable {
  location_id: string
  contact_id: string
  tag_id: string
}

export interface ListsTable {
  location_id: string
  id: string
  name: string
  created_at: string
  updated_at: string
  description: string | null
  favorite: Generated<number>
}

export interface ListMembershipsTable {
  location_id: string
  list_id: string
  contact_id: string
  created_at: string
}

export interface AccessTokensTable {
  location_id: string
  id: string
  token_hash: string
  /** Space-separated scope names. */
  scopes: string
  name: string
  created_at: string
  revoked_at: string | null
}

export interface EventsTable {
  location_id: string
  id: Generated<number>
  contact_id: string
  /**
   * The type's code (EVENT_TYPE_CODES, migration 0023): a smallint on PostgreSQL, its digit as text
   * on SQLite. Written as a code and read through store/events.ts, which answers names.
   */
  type: ColumnType<number | string, number, never>
  /** JSON array of tag names. */
  tags_added: string
  /** JSON array of tag names. */
  tags_removed: string
  /** What made the change, e.g. `highlevel.bulk`; `activity` for an activity's (its activity_id says which). */
  source: string
  created_at: string
  /** The activity whose chunk wrote this event; null for synchronous changes. */
  activity_id: string | null
  /**
   * A ContactTagUpdate's link to the contact's previous one (null for the first, and for other
   * types): the chain contacts.last_tag_event_id starts (migration 0024).
   */
  previous_tag_event_id: ColumnType<number | null, number | null | undefined, never>
}

export interface ActivitiesTable {
  location_id: string
  id: string
  /** CHECKed against ACTIVITY_KINDS (migration 0007). */
  kind: ActivityKind
  /** CHECKed against ACTIVITY_STATES (migration 0007). */
  state: ActivityState
  tag_ids: string
  /** JSON names of the tags when created; kept by contacts_tags_delete for its undo (0013). */
  tag_names: Generated<string | null>
  /** JSON ids of the lists a list-membership activity adds to or removes from (0016). */
  list_ids: Generated<string | null>
  selector: string | null
  snapshot_seq: number | null
  cursor: string | null
  items_total: number | null
  items_completed: number
  /** Contacts an undo left alone because they changed since. */
  items_skipped: Generated<number>
  /** For an undo activity: the activity it reverts. */
  undo_of: string | null
  errors: string
  /** Steps that failed for the activity's own reasons; bounded (see ACTIVITY_MAX_FAILED_ATTEMPTS). */
  failed_attempts: Generated<number>
  lease_owner: string | null
  lease_expires_at: string | null
  /**
   * The ids of the first and last event the activity logged (null until it logs one) and how many
   * it logged: its events are read as this window of the events' key (migration 0019).
   */
  first_event_id: number | null
  last_event_id: number | null
  events_logged: Generated<number>
  created_at: string
  updated_at: string
  started_at: string | null
  completed_at: string | null
}

/** A (contact, list) membership a list-membership activity added or removed (migration 0016). */
export interface ListMembershipChangesTable {
  location_id: string
  activity_id: string
  contact_id: string
  list_id: string
  change: 'added' | 'removed'
}

/** Contacts an activity processed and left unchanged, per chunk and reason (migration 0014). */
export interface ActivitySkipsTable {
  location_id: string
  activity_id: string
  seq: number
  reason: string
  /** JSON array of contact ids. */
  contact_ids: string
}

export interface IdempotencyKeysTable {
  location_id: string
  key: string
  fingerprint: string
  status: number | null
  response: string | null
  created_at: string
}

export interface WebhooksTable {
  location_id: string
  id: string
  url: string
  app_id: string
  created_at: string
  consecutive_failures: Generated<number>
  paused_until: string | null
  /** Event types it receives, space-separated (migration 0012; domain/webhooks.ts). */
  event_types: Generated<string>
  /** The endpoint's last failed delivery attempt, and when (migration 0015). */
  last_error: string | null
  last_error_at: string | null
  /** The worker sending to the endpoint, until its lease expires (migration 0017). */
  sender_owner: string | null
  sender_lease_expires_at: string | null
}

export interface WebhookDeliveriesTable {
  location_id: string
  webhook_id: string
  event_id: number
  contact_id: string
  /** One of WEBHOOK_DELIVERY_STATES. */
  state: string
  attempts: Generated<number>
  next_attempt_at: string
  lease_owner: string | null
  lease_expires_at: string | null
  last_status: number | null
  last_error: string | null
  created_at: string
  delivered_at: string | null
  /**
   * When the delivery left the queue (delivered or dead); null while it is owed. The queue's
   * partial indexes read this, never `state`, so leasing a delivery writes no index entry.
   */
  closed_at: string | null
}

export interface SigningKeysTable {
  id: string
  private_key_pem: string
  public_key_pem: string
  created_at: string
}

export interface OperatorCredentialsTable {
  id: string
  /** sha256 of the secret, hex. */
  secret_hash: string
  created_at: string
  revoked_at: string | null
}

export interface Schema {
  locations: LocationsTable
  contacts: ContactsTable
  tags: TagsTable
  contact_tags: ContactTagsTable
  lists: ListsTable
  list_memberships: ListMembershipsTable
  access_tokens: AccessTokensTable
  events: EventsTable
  activities: ActivitiesTable
  activity_skips: ActivitySkipsTable
  list_membership_changes: ListMembershipChangesTable
  idempotency_keys: IdempotencyKeysTable
  webhooks: WebhooksTable
  webhook_deliveries: WebhookDeliveriesTable
  signing_keys: SigningKeysTable
  operator_credentials: OperatorCredentialsTable
}
