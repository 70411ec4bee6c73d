import { type Static, Type } from '@sinclair/typebox'
import { SELECTOR_LIMITS } from '../../domain/selectors.js'
import { INVALID_VALUE_MESSAGE } from '../validation.js'

const Id = Type.String({ minLength: 1, maxLength: 100 })
const Name = Type.String({ minLength: 1, maxLength: 255 })

export const IdParams = {
  tag: Type.Object({ tag_id: Id }),
  list: Type.Object({ list_id: Id }),
  contact: Type.Object({ contact_id: Id }),
  activity: Type.Object({ activity_id: Id }),
}

export const TagPostBody = Type.Object(
  { name: Name, tag_source: Type.Optional(Type.String({ maxLength: 255 })) },
  { additionalProperties: false },
)
export const TagPutBody = TagPostBody

export const TagsQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  include_count: Type.Boolean({ default: false }),
  cursor: Type.Optional(Type.String()),
})
export const TagQuery = Type.Object({ include_count: Type.Boolean({ default: false }) })

export const ListBody = Type.Object(
  {
    name: Name,
    favorite: Type.Optional(Type.Boolean()),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  { additionalProperties: false },
)

export const ListsQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }),
  include_membership_count: Type.Optional(Type.Union([Type.Literal('all'), Type.Literal('active')])),
  cursor: Type.Optional(Type.String()),
})

const EmailAddress = Type.Object(
  {
    address: Type.String({ minLength: 3, maxLength: 80, pattern: '^[^@\\s]+@[^@\\s]+$' }),
    permission_to_send: Type.Optional(
      Type.Union([
        Type.Literal('implicit'),
        Type.Literal('explicit'),
        Type.Literal('unsubscribed'),
        Type.Literal('pending_confirmation'),
      ]),
    ),
  },
  { additionalProperties: false },
)

const PhoneNumber = Type.Object(
  {
    phone_number: Type.String({ minLength: 1, maxLength: 25 }),
    kind: Type.Optional(Type.String({ maxLength: 20 })),
  },
  { additionalProperties: false },
)

const contactFields = {
  email_address: EmailAddress,
  first_name: Type.Optional(Type.String({ maxLength: 50 })),
  last_name: Type.Optional(Type.String({ maxLength: 50 })),
  job_title: Type.Optional(Type.String({ maxLength: 50 })),
  company_name: Type.Optional(Type.String({ maxLength: 50 })),
  phone_numbers: Type.Optional(Type.Array(PhoneNumber, { maxItems: 1 })),
  list_memberships: Type.Optional(Type.Array(Id, { maxItems: 50 })),
  taggings: Type.Optional(Type.Array(Id, { maxItems: 50 })),
}

/** Fields outside these (custom fields, addresses, notes, SMS) are refused rather than dropped. */
export const ContactPostBody = Type.Object(
  {
    ...contactFields,
    create_source: Type.Optional(Type.Union([Type.Literal('Contact'), Type.Literal('Account')])),
  },
  { additionalProperties: false },
)
export const ContactPutBody = Type.Object(
  { ...contactFields, update_source: Type.Union([Type.Literal('Contact'), Type.Literal('Account')]) },
  { additionalProperties: false },
)

const Instant = (description: string) =>
  Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 40,
      description: `${description} (ISO-8601 date or date-time; no offset: UTC)`,
    }),
  )

/** The sub-resources `include` may name; Tagbase always returns them (see README). */
export const CONTACT_INCLUDES = ['list_memberships', 'taggings', 'phone_numbers'] as const
/** Sub-resources Constant Contact has and Tagbase stores nothing for: asking for them is refused. */
export const UNSTORED_CONTACT_INCLUDES = ['custom_fields', 'notes', 'street_addresses'] as const

export const ContactsQuery = Type.Object({
  status: Type.Union(
    [Type.Literal('all'), Type.Literal('active'), Type.Literal('unsubscribed'), Type.Literal('deleted')],
    { default: 'all' },
  ),
  email: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 254,
      description: 'Only the contact with this email address (exact, case-insensitive)',
    }),
  ),
  tags: Type.Optional(
    Type.String({ description: 'Comma-separated tag ids, up to 50: contacts carrying any' }),
  ),
  lists: Type.Optional(Type.String({ description: 'Comma-separated list ids, up to 25: members of any' })),
  created_after: Instant('Created at or after'),
  created_before: Instant('Created before'),
  updated_after: Instant('Updated at or after'),
  updated_before: Instant('Updated before'),
  include_count: Type.Boolean({
    default: false,
    description: 'Add contacts_count: how many contacts match, over all pages',
    [INVALID_VALUE_MESSAGE]: 'must be true or false',
  }),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  cursor: Type.Optional(Type.String()),
  include: Type.Optional(
    Type.String({ description: `Comma-separated: ${CONTACT_INCLUDES.join(', ')} (always included)` }),
  ),
})

export const ContactCountsQuery = Type.Object({
  include: Type.Optional(
    Type.Literal('new_subscriber', {
      description: 'Add new_subscriber: contacts subscribed in the last NEW_SUBSCRIBER_DAYS days (30)',
      [INVALID_VALUE_MESSAGE]: 'must be new_subscriber',
    }),
  ),
})

export const ActivitiesQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  state: Type.Optional(
    Type.Union([
      Type.Literal('initialized'),
      Type.Literal('processing'),
      Type.Literal('completed'),
      Type.Literal('cancelled'),
      Type.Literal('failed'),
      Type.Literal('timed_out'),
    ]),
  ),
  cursor: Type.Optional(Type.String()),
})

/** Tagbase's own: an activity's per-contact results. */
export const ActivityResultsQuery = Type.Object({
  outcome: Type.Optional(
    Type.Union([Type.Literal('changed'), Type.Literal('skipped')], {
      description: 'Only contacts the activity changed, or only those it left unchanged (default: both)',
      [INVALID_VALUE_MESSAGE]: 'must be changed or skipped',
    }),
  ),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  cursor: Type.Optional(Type.String()),
})

/** Tagbase's own addition: answer what would change and write nothing. */
export { DryRunQuery } from '../dryRun.js'

/**
 * The activity bodies, validated at the boundary. They take the variants the vendor's own
 * examples send (booleans as "true"/"false", `exclude` as an id array inside `source`); the rules
 * across fields (exactly one source, where exclude may stand) are in activityBodies.ts.
 */
const ActivityId = Type.String({
  pattern: '\\S',
  maxLength: 100,
  [INVALID_VALUE_MESSAGE]: 'must be a non-empty id of at most 100 characters',
})
const IdList = (maxItems: number) => Type.Array(ActivityId, { minItems: 1, maxItems })
const LooseBoolean = Type.Unsafe<boolean | 'true' | 'false'>({
  enum: [true, false, 'true', 'false'],
  [INVALID_VALUE_MESSAGE]: 'must be true or false',
})
const ContactIdExclusion = Type.Object(
  { contact_ids: IdList(SELECTOR_LIMITS.excludeContactIds) },
  { additionalProperties: false },
)
/** Whose contacts an activity covers: the same sources for tagging and list-membership activities. */
const ActivitySource = Type.Object(
  {
    contact_ids: Type.Optional(IdList(SELECTOR_LIMITS.contactIds)),
    list_ids: Type.Optional(IdList(SELECTOR_LIMITS.listIds)),
    tag_ids: Type.Optional(IdList(SELECTOR_LIMITS.sourceTagIds)),
    all_active_contacts: Type.Optional(LooseBoolean),
    new_subscriber: Type.Optional(LooseBoolean),
    exclude: Type.Optional(
      Type.Union([ContactIdExclusion, IdList(SELECTOR_LIMITS.excludeContactIds)], {
        [INVALID_VALUE_MESSAGE]: 'must be an object with contact_ids, or an array of contact ids',
      }),
    ),
  },
  {
    additionalProperties: false,
    description: 'Exactly one of contact_ids, list_ids, tag_ids, all_active_contacts, new_subscriber.',
  },
)

export const TaggingActivityBody = Type.Object(
  {
    source: ActivitySource,
    exclude: Type.Optional(ContactIdExclusion),
    tag_ids: IdList(SELECTOR_LIMITS.tagIds),
  },
  { additionalProperties: false },
)
export type TaggingActivityBody = Static<typeof TaggingActivityBody>

export const ListMembershipActivityBody = Type.Object(
  {
    source: ActivitySource,
    exclude: Type.Optional(ContactIdExclusion),
    list_ids: IdList(SELECTOR_LIMITS.listIds),
  },
  { additionalProperties: false },
)
export type ListMembershipActivityBody = Static<typeof ListMembershipActivityBody>

export const TagDeleteActivityBody = Type.Object(
  { tag_ids: IdList(SELECTOR_LIMITS.tagIds) },
  { additionalProperties: false },
)
