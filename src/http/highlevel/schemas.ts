import { type TSchema, Type } from '@sinclair/typebox'
import { TOO_MANY_ITEMS_HINT } from '../validation.js'

/** A string limited to fixed values, as a plain JSON-schema enum (one clear error when wrong). */
const StringEnum = <T extends string>(values: readonly T[]) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values] })

export const MAX_BULK_CONTACTS = 1000
export const MAX_BULK_TAGS = 100
const ASYNC_API_HINT =
  'for larger sets use the asynchronous activity API (POST /v3/activities/contacts_taggings_add or contacts_taggings_remove)'

export const BulkTagParams = Type.Object({ type: StringEnum(['add', 'remove'] as const) })

/** Tagbase's own addition: answer what would change and write nothing. */
export { DryRunQuery } from '../dryRun.js'

export const BulkTagBody = Type.Object({
  contacts: Type.Array(Type.String(), {
    minItems: 1,
    maxItems: MAX_BULK_CONTACTS,
    [TOO_MANY_ITEMS_HINT]: ASYNC_API_HINT,
  }),
  tags: Type.Array(Type.String(), { maxItems: MAX_BULK_TAGS, [TOO_MANY_ITEMS_HINT]: ASYNC_API_HINT }),
  locationId: Type.String({ minLength: 1 }),
  // The vendor's own curl examples send "false" as a string.
  removeAllTags: Type.Optional(
    Type.Unsafe<boolean | 'true' | 'false'>({ enum: [true, false, 'true', 'false'] }),
  ),
})

export const TagsBody = Type.Object({
  tags: Type.Array(Type.String(), { minItems: 1, maxItems: MAX_BULK_TAGS }),
})

export const ContactIdParams = Type.Object({ contactId: Type.String() })

const optional = <T extends TSchema>(schema: T) => Type.Optional(Type.Union([schema, Type.Null()]))

/** Contact fields accepted on create, update and upsert. Unknown fields are ignored, as HighLevel does. */
const contactFields = {
  firstName: optional(Type.String()),
  lastName: optional(Type.String()),
  name: optional(Type.String()),
  email: optional(Type.String()),
  phone: optional(Type.String()),
  address1: optional(Type.String()),
  city: optional(Type.String()),
  state: optional(Type.String()),
  postalCode: optional(Type.String()),
  country: optional(Type.String()),
  website: optional(Type.String()),
  timezone: optional(Type.String()),
  source: optional(Type.String()),
  companyName: optional(Type.String()),
  dateOfBirth: optional(Type.String()),
  assignedTo: optional(Type.String()),
  dnd: Type.Optional(Type.Boolean()),
  tags: Type.Optional(Type.Array(Type.String(), { maxItems: MAX_BULK_TAGS })),
  gender: Type.Optional(Type.String()),
  dndSettings: Type.Optional(Type.Object({})),
  inboundDndSettings: Type.Optional(Type.Object({})),
  customFields: Type.Optional(Type.Array(Type.Object({}))),
}

export const CreateContactBody = Type.Object({ ...contactFields, locationId: Type.String({ minLength: 1 }) })
export const UpsertContactBody = Type.Object({
  ...contactFields,
  locationId: Type.String({ minLength: 1 }),
  createNewIfDuplicateAllowed: Type.Optional(Type.Boolean()),
})
export const UpdateContactBody = Type.Object(contactFields)

export const ListContactsQuery = Type.Object({
  locationId: Type.String({ minLength: 1 }),
  query: Type.Optional(Type.String()),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  startAfterId: Type.Optional(Type.String()),
  startAfter: Type.Optional(Type.Number()),
})

/** POST /contacts/search; `filters` and `sort` are read by domain/contactSearch.ts (every problem named). */
export const SearchContactsBody = Type.Object(
  {
    locationId: Type.String({ minLength: 1 }),
    page: Type.Optional(Type.Integer({ minimum: 1, description: 'Page number (page × pageLimit ≤ 10000)' })),
    pageLimit: Type.Integer({ minimum: 1, maximum: 500 }),
    searchAfter: Type.Optional(
      Type.Array(Type.Union([Type.Number(), Type.String()]), {
        minItems: 2,
        maxItems: 2,
        description: "A contact's searchAfter from the previous page: the next page starts after it",
      }),
    ),
    filters: Type.Optional(Type.Array(Type.Unknown(), { description: 'Conditions and AND/OR groups' })),
    sort: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 1 })),
    query: Type.Optional(Type.String({ maxLength: 75 })),
  },
  { additionalProperties: false },
)

export const DuplicateContactQuery = Type.Object({
  locationId: Type.String({ minLength: 1 }),
  email: Type.Optional(Type.String({ minLength: 1 })),
  number: Type.Optional(Type.String({ minLength: 1, description: 'A phone number, in any spelling' })),
})

export const LocationParams = Type.Object({ locationId: Type.String() })
export const LocationTagParams = Type.Object({ locationId: Type.String(), tagId: Type.String() })
export const TagNameBody = Type.Object({ name: Type.String() })

export const LocationWebhookParams = Type.Object({ locationId: Type.String(), webhookId: Type.String() })
export const WebhookBody = Type.Object({
  url: Type.String({ minLength: 1, maxLength: 2048 }),
  appId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  events: Type.Optional(
    Type.Array(StringEnum(['ContactTagUpdate', 'ContactCreate', 'ContactDelete'] as const), {
      maxItems: 3,
      description: 'ContactTagUpdate is always sent; add ContactCreate and/or ContactDelete to receive them',
    }),
  ),
})
