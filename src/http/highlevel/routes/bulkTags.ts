import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { normalizeTagList } from '../../../domain/tags.js'
import { bulkUpdateTags } from '../../../services/bulkUpdateTags.js'
import { presentBulkTagResponse } from '../bulkTagResponse.js'
import { unprocessable } from '../errors.js'
import { BulkTagUpdateDocument } from '../responses.js'
import { BulkTagBody, BulkTagParams, DryRunQuery } from '../schemas.js'

/** Rules the JSON schema cannot say: they depend on `type` or on tags after normalisation. */
function bulkRuleViolations(
  type: 'add' | 'remove',
  body: { tags: string[]; removeAllTags: boolean },
  tagProblems: Array<{ problem: string }>,
): string[] {
  const problems: string[] = []
  if (body.removeAllTags && type === 'add')
    problems.push('removeAllTags can only be used with the remove type')
  if (body.tags.length === 0 && !body.removeAllTags) problems.push('tags must contain at least 1 elements')
  if (tagProblems.some((p) => p.problem === 'empty')) problems.push('each value in tags should not be empty')
  if (tagProblems.some((p) => p.problem === 'too-long'))
    problems.push('each value in tags must be shorter than or equal to 255 characters')
  return problems
}

export const bulkTagRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/contacts/bulk/tags/update/:type',
    {
      schema: { params: BulkTagParams, body: BulkTagBody, querystring: DryRunQuery },
      config: {
        scope: 'contacts.write',
        locationFrom: 'body',
        documentedResponses: {
          201: BulkTagUpdateDocument,
          200: {
            ...BulkTagUpdateDocument,
            description: 'dry_run=true: the answer the request would get, plus dryRun: true',
          },
        },
      },
    },
    async (request, reply) => {
      const { type } = request.params
      const removeAllTags = request.body.removeAllTags === true || request.body.removeAllTags === 'true'
      const tags = normalizeTagList(request.body.tags)
      const problems = bulkRuleViolations(
        type,
        { tags: request.body.tags, removeAllTags },
        tags.ok ? [] : tags.problems,
      )
      if (problems.length > 0 || !tags.ok) throw unprocessable(problems)
      const outcomes = await bulkUpdateTags(app.database, {
        locationId: request.body.locationId,
        operation: type,
        contactIds: request.body.contacts,
        tagNames: tags.names,
        removeAllTags,
        source: 'highlevel.bulk',
        dryRun: request.query.dry_run,
      })
      const result = presentBulkTagResponse(outcomes)
      // A dry run changed nothing: 200 with what the request would answer, marked as such.
      if (request.query.dry_run) return reply.code(200).send({ ...result, dryRun: true })
      return reply.code(201).send(result)
    },
  )
}
