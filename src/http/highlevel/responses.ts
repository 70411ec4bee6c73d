import { Type } from '@sinclair/typebox'
import { BULK_TAG_ERRORS } from './bulkTagResponse.js'

/**
 * Answers of the HighLevel routes as the OpenAPI document shows them. Documentation only: the
 * routes serialise their bodies as built (no response schema filters or reorders them), and
 * test/http/openapi.test.ts validates real answers against these.
 */
export const HighLevelErrorDocument = Type.Object(
  {
    statusCode: Type.Integer(),
    message: Type.Union([Type.String(), Type.Array(Type.String())], {
      description: '422: every problem found; otherwise one sentence',
    }),
    error: Type.Optional(Type.String()),
  },
  { description: 'HighLevel error (NestJS style)' },
)

const TagNames = Type.Array(Type.String())

export const BulkTagUpdateDocument = Type.Object(
  {
    succeded: Type.Boolean({ description: 'Spelled as in HighLevel: true when no contact failed' }),
    errorCount: Type.Integer(),
    responses: Type.Array(
      Type.Union([
        Type.Object({
          contactId: Type.String(),
          message: Type.Literal('Tags updated'),
          type: Type.Literal('success'),
          oldTags: TagNames,
          tagsAdded: TagNames,
          tagsRemoved: TagNames,
        }),
        Type.Object({
          contactId: Type.String(),
          message: Type.Union(Object.values(BULK_TAG_ERRORS).map((m) => Type.Literal(m))),
          type: Type.Literal('error'),
        }),
      ]),
      { description: 'One entry per requested contact, in request order' },
    ),
  },
  { description: 'Per-contact result of a bulk tag update' },
)

/** Answers every HighLevel route can give besides its own: refused token, Version, scope, body. */
export const HIGHLEVEL_ERROR_RESPONSES = Object.freeze({
  400: {
    ...HighLevelErrorDocument,
    description: 'Bad request (missing Version header, malformed JSON or URL encoding)',
  },
  401: { ...HighLevelErrorDocument, description: 'Missing, unknown or revoked token' },
  403: { ...HighLevelErrorDocument, description: 'Token lacks the scope, or names another location' },
  422: {
    ...HighLevelErrorDocument,
    description:
      'The request failed validation (including query parameters the route does not support, NUL characters and unpaired surrogates); message lists every problem',
  },
  413: { ...HighLevelErrorDocument, description: 'The body is larger than 1 MiB' },
  429: { ...HighLevelErrorDocument, description: 'Rate limit exceeded; see Retry-After' },
  503: {
    ...HighLevelErrorDocument,
    description: 'The database is unavailable; nothing was applied. Retry after Retry-After seconds',
  },
})

export const ContactDocument = Type.Object(
  {
    id: Type.String(),
    locationId: Type.String(),
    firstName: Type.Optional(Type.String()),
    lastName: Type.Optional(Type.String()),
    contactName: Type.Optional(Type.String()),
    name: Type.Optional(Type.String()),
    firstNameLowerCase: Type.Optional(Type.String()),
    lastNameLowerCase: Type.Optional(Type.String()),
    fullNameLowerCase: Type.Optional(Type.String()),
    email: Type.Optional(Type.String()),
    emailLowerCase: Type.Optional(Type.String()),
    phone: Type.Optional(Type.String()),
    companyName: Type.Optional(Type.String()),
    address1: Type.Optional(Type.String()),
    city: Type.Optional(Type.String()),
    state: Type.Optional(Type.String()),
    postalCode: Type.Optional(Type.String()),
    country: Type.Optional(Type.String()),
    website: Type.Optional(Type.String()),
    timezone: Type.Optional(Type.String()),
    source: Type.Optional(Type.String()),
    dateOfBirth: Type.Optional(
      Type.String({ description: 'Midnight UTC of the birth date, e.g. 1990-09-25T00:00:00.000Z' }),
    ),
    birthMonth: Type.Optional(Type.Integer({ minimum: 1, maximum: 12 })),
    birthDay: Type.Optional(Type.Integer({ minimum: 1, maximum: 31 })),
    assignedTo: Type.Optional(Type.String()),
    dnd: Type.Boolean(),
    deleted: Type.Boolean(),
    bounceEmail: Type.Boolean({ description: 'Always false: Tagbase records no bounces' }),
    unsubscribeEmail: Type.Boolean({ description: 'The contact unsubscribed (opted out of email)' }),
    type: Type.String(),
    tags: TagNames,
    customFields: Type.Array(Type.Unknown()),
    dateAdded: Type.String({ format: 'date-time' }),
    dateUpdated: Type.String({ format: 'date-time' }),
  },
  { description: 'A contact; fields without a value are left out' },
)

const Succeeded = Type.Object({ succeded: Type.Literal(true) })
export const SucceededDocument = { ...Succeeded, description: 'Done (spelled as in HighLevel)' }
export const ContactEnvelopeDocument = Type.Object({ contact: ContactDocument })
export const UpsertedContactDocument = Type.Object({
  new: Type.Boolean({ description: 'true when the contact was created' }),
  contact: ContactDocument,
  traceId: Type.String(),
})
export const UpdatedContactDocument = Type.Object({ succeded: Type.Literal(true), contact: ContactDocument })
export const ContactSearchDocument = Type.Object({
  contacts: Type.Array(
    Type.Intersect([
      ContactDocument,
      Type.Object({
        searchAfter: Type.Tuple([Type.Integer(), Type.String()], {
          description: 'Send it back as searchAfter for the page after this contact',
        }),
      }),
    ]),
  ),
  total: Type.Integer({ description: 'Contacts matching, all pages' }),
})
export const DuplicateContactDocument = Type.Object({
  contact: Type.Union([ContactDocument, Type.Null()], {
    description: 'null: no contact has that email or phone',
  }),
})

export const ContactPageDocument = Type.Object({
  contacts: Type.Array(ContactDocument),
  count: Type.Integer(),
  meta: Type.Object({
    total: Type.Integer(),
    startAfterId: Type.Union([Type.String(), Type.Null()]),
    startAfter: Type.Union([Type.Integer(), Type.Null()]),
    nextPageUrl: Type.Union([Type.String(), Type.Null()], { description: 'null on the last page' }),
  }),
})
export const ContactTagsDocument = Type.Object(
  { tags: TagNames },
  { description: "The contact's tags afterwards" },
)

const LocationTag = Type.Object({ id: Type.String(), name: Type.String(), locationId: Type.String() })
export const LocationTagDocument = Type.Object({ tag: LocationTag })
export const LocationTagsDocument = Type.Object({ tags: Type.Array(LocationTag) })

const Webhook = Type.Object({
  id: Type.String(),
  locationId: Type.String(),
  url: Type.String(),
  appId: Type.String(),
  events: Type.Array(
    Type.Union([
      Type.Literal('ContactTagUpdate'),
      Type.Literal('ContactCreate'),
      Type.Literal('ContactDelete'),
    ]),
  ),
  dateAdded: Type.String({ format: 'date-time' }),
  consecutiveFailures: Type.Integer(),
  pausedUntil: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  lastError: Type.Union(
    [
      Type.Object({
        message: Type.String(),
        at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
      }),
      Type.Null(),
    ],
    { description: 'The endpoint’s last failed delivery attempt (kept after later successes), or null' },
  ),
  deliveries: Type.Optional(
    Type.Object(
      {
        pending: Type.Integer(),
        delivering: Type.Integer(),
        delivered: Type.Integer(),
        dead: Type.Integer(),
      },
      { description: 'Deliveries by state' },
    ),
  ),
})
export const WebhookDocument = Type.Object({ webhook: Webhook })
export const WebhooksDocument = Type.Object({ webhooks: Type.Array(Webhook) })
export const RedrivenDocument = Type.Object({
  redriven: Type.Integer({ description: 'Dead deliveries queued again' }),
})
