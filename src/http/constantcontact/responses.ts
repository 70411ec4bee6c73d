import { Type } from '@sinclair/typebox'
import { ACTIVITY_STATES } from '../../domain/activities.js'

/**
 * Answers of the /v3 routes as the OpenAPI document shows them. Documentation only: the routes
 * serialise their bodies as built, and test/http/openapi.test.ts validates real answers against these.
 */
export const ConstantContactErrorsDocument = Type.Array(
  Type.Object({ error_key: Type.String(), error_message: Type.String() }),
  { description: 'Constant Contact errors: one entry per problem' },
)

const Link = Type.Object({ href: Type.String() })

export const ActivityDocument = Type.Object(
  {
    activity_id: Type.String({ format: 'uuid' }),
    state: Type.Union(Object.values(ACTIVITY_STATES).map((s) => Type.Literal(s))),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
    started_at: Type.Optional(Type.String({ format: 'date-time' })),
    completed_at: Type.Optional(Type.String({ format: 'date-time' })),
    percent_done: Type.Integer({ minimum: 0, maximum: 100 }),
    activity_errors: Type.Array(Type.String()),
    status: Type.Object({
      items_total_count: Type.Optional(Type.Integer()),
      items_completed_count: Type.Optional(Type.Integer()),
      items_skipped_count: Type.Optional(
        Type.Integer({ description: 'Undo activities: contacts left alone' }),
      ),
      list_count: Type.Optional(
        Type.Integer({ description: 'List-membership activities: the lists they add to or remove from' }),
      ),
    }),
    _links: Type.Object({ self: Link, undo_of: Type.Optional(Link) }),
  },
  { description: 'An asynchronous activity; poll _links.self until state is completed, failed or cancelled' },
)

export const TaggingPreviewDocument = Type.Object(
  {
    dry_run: Type.Literal(true),
    items_total_count: Type.Integer({ description: 'Contacts the activity would cover' }),
    contacts_to_change: Type.Integer({ description: 'Of those, contacts whose tags would change' }),
    taggings_to_change: Type.Integer({ description: 'Tag rows that would be added or removed' }),
  },
  { description: 'dry_run=true: what the activity would do; nothing is created' },
)

export const ListMembershipPreviewDocument = Type.Object(
  {
    dry_run: Type.Literal(true),
    items_total_count: Type.Integer({ description: 'Contacts the activity would cover' }),
    contacts_to_change: Type.Integer({ description: 'Of those, contacts whose memberships would change' }),
    memberships_to_change: Type.Integer({ description: 'Memberships that would be added or removed' }),
  },
  { description: 'dry_run=true: what the activity would do; nothing is created' },
)

/** Answers every /v3 route can give besides its own. */
export const CONSTANT_CONTACT_ERROR_RESPONSES = Object.freeze({
  400: { ...ConstantContactErrorsDocument, description: 'Bad request; every problem listed' },
  401: { ...ConstantContactErrorsDocument, description: 'Missing, unknown or revoked token' },
  403: { ...ConstantContactErrorsDocument, description: 'Token lacks contact_data' },
  409: {
    ...ConstantContactErrorsDocument,
    description: 'A request with this Idempotency-Key is still running',
  },
  415: { ...ConstantContactErrorsDocument, description: 'The body is not JSON' },
  422: { ...ConstantContactErrorsDocument, description: 'Idempotency-Key reused with a different request' },
  413: { ...ConstantContactErrorsDocument, description: 'The body is larger than 1 MiB' },
  429: { ...ConstantContactErrorsDocument, description: 'Rate limit exceeded; see Retry-After' },
  503: {
    ...ConstantContactErrorsDocument,
    description: 'The database is unavailable; nothing was applied. Retry after Retry-After seconds',
  },
})

const Time = Type.String({ format: 'date-time' })
const NextLinks = Type.Object(
  { next: Type.Optional(Link) },
  { description: 'next is present only when the page was full; follow it for the rest' },
)

export const TagDocument = Type.Object({
  tag_id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  tag_source: Type.Optional(Type.String()),
  contacts_count: Type.Optional(Type.Integer({ description: 'With include_count=true' })),
  created_at: Time,
  updated_at: Time,
})
export const TagPageDocument = Type.Object({ tags: Type.Array(TagDocument), _links: NextLinks })

export const ListDocument = Type.Object({
  list_id: Type.String(),
  name: Type.String(),
  description: Type.Optional(Type.String()),
  favorite: Type.Boolean(),
  created_at: Time,
  updated_at: Time,
  membership_count: Type.Optional(Type.Integer({ description: 'With include_membership_count' })),
})
export const ListPageDocument = Type.Object({
  lists: Type.Array(ListDocument),
  lists_count: Type.Integer(),
  _links: NextLinks,
})

export const ContactDocument = Type.Object({
  contact_id: Type.String({ format: 'uuid' }),
  email_address: Type.Optional(
    Type.Object({
      address: Type.String(),
      permission_to_send: Type.String(),
      created_at: Time,
      updated_at: Time,
      opt_in_date: Type.Optional(Time),
      opt_out_date: Type.Optional(Time),
    }),
  ),
  first_name: Type.Optional(Type.String()),
  last_name: Type.Optional(Type.String()),
  job_title: Type.Optional(Type.String()),
  company_name: Type.Optional(Type.String()),
  phone_numbers: Type.Array(Type.Object({ phone_number: Type.String(), kind: Type.String() })),
  create_source: Type.String(),
  update_source: Type.Optional(Type.String()),
  created_at: Time,
  updated_at: Time,
  deleted_at: Type.Optional(Time),
  list_memberships: Type.Array(Type.String()),
  taggings: Type.Array(Type.String({ format: 'uuid' })),
})
export const ContactPageDocument = Type.Object({
  contacts: Type.Array(ContactDocument),
  contacts_count: Type.Optional(
    Type.Integer({ description: 'With include_count=true: contacts matching the filters, all pages' }),
  ),
  _links: NextLinks,
})

export const ContactCountsDocument = Type.Object({
  total: Type.Integer({ description: 'Live (not deleted) contacts' }),
  explicit: Type.Integer(),
  implicit: Type.Integer({ description: 'Given implicit permission, or none' }),
  pending: Type.Integer({ description: 'pending_confirmation' }),
  unsubscribed: Type.Integer(),
  new_subscriber: Type.Optional(
    Type.Integer({ description: 'With include=new_subscriber: subscribed in the last 30 days' }),
  ),
})

/** 204 answers carry no body; documented so the status shows in the reference. */
export const NoContentDocument = { type: 'null', description: 'Done; no body' } as const

export const notFoundDocument = (what: string) => ({
  ...ConstantContactErrorsDocument,
  description: `No such ${what} in this account`,
})
export const conflictDocument = (why: string) => ({ ...ConstantContactErrorsDocument, description: why })

export const ActivityResultsDocument = Type.Object({
  results: Type.Array(
    Type.Object({
      contact_id: Type.String(),
      outcome: Type.Union([Type.Literal('changed'), Type.Literal('skipped')]),
      tags_added: Type.Array(Type.String(), { description: 'Tag names, as the event log keeps them' }),
      tags_removed: Type.Array(Type.String()),
      list_ids_added: Type.Optional(
        Type.Array(Type.String(), {
          description: 'List-membership activities: lists the contact was put on',
        }),
      ),
      list_ids_removed: Type.Optional(Type.Array(Type.String())),
      reason: Type.Optional(Type.String({ description: 'Why a skipped contact was left unchanged' })),
    }),
    { description: 'Changed contacts in the order they were changed, then skipped ones' },
  ),
  _links: NextLinks,
})

export const ActivityListDocument = Type.Object({
  activities: Type.Array(ActivityDocument, { description: 'Newest first' }),
  _links: NextLinks,
})
