import { Type } from '@sinclair/typebox'
import { BULK_TAG_ERRORS } from '../../domain/bulkTagResult.js'

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
  400: { ...HighLevelErrorDocument, description: 'Bad request (e.g. missing Version header)' },
  401: { ...HighLevelErrorDocument, description: 'Missing, unknown or revoked token' },
  403: { ...HighLevelErrorDocument, description: 'Token lacks the scope, or names another location' },
  422: {
    ...HighLevelErrorDocument,
    description: 'The request failed validation; message lists every problem',
  },
  429: { ...HighLevelErrorDocument, description: 'Rate limit exceeded; see Retry-After' },
})
