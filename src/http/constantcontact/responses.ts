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

/** Answers every /v3 route can give besides its own. */
export const CONSTANT_CONTACT_ERROR_RESPONSES = Object.freeze({
  400: { ...ConstantContactErrorsDocument, description: 'Bad request; every problem listed' },
  401: { ...ConstantContactErrorsDocument, description: 'Missing, unknown or revoked token' },
  403: { ...ConstantContactErrorsDocument, description: 'Token lacks contact_data' },
  429: { ...ConstantContactErrorsDocument, description: 'Rate limit exceeded; see Retry-After' },
})
