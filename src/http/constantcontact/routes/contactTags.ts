import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { createTagDeleteActivity } from '../../../services/activities.js'
import {
  countTagHolders,
  createLocationTag,
  getLocationTag,
  listLocationTagsPage,
  renameLocationTag,
} from '../../../services/locationTags.js'
import { accountOf } from '../auth.js'
import { decodeCursor, nextLink } from '../paging.js'
import { presentActivity, presentTag } from '../presenters.js'
import {
  ActivityDocument,
  conflictDocument,
  notFoundDocument,
  TagDocument,
  TagPageDocument,
} from '../responses.js'
import { IdParams, TagPostBody, TagPutBody, TagQuery, TagsQuery } from '../schemas.js'

export const contactTagRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/contact_tags',
    { config: { documentedResponses: { 200: TagPageDocument } }, schema: { querystring: TagsQuery } },
    async (request) => {
      const { limit, include_count, cursor } = request.query
      const afterId = decodeCursor(cursor)
      const page = await listLocationTagsPage(app.database, accountOf(request).locationId, {
        limit,
        withCounts: include_count,
        ...(afterId ? { afterId } : {}),
      })
      return {
        tags: page.map((p) => presentTag(p.tag, p.contactsCount)),
        _links: nextLink(
          '/v3/contact_tags',
          { limit, include_count: include_count || undefined },
          page,
          limit,
          page.at(-1)?.tag.id,
        ),
      }
    },
  )

  app.post(
    '/contact_tags',
    {
      config: {
        documentedResponses: { 201: TagDocument, 409: conflictDocument('A tag with this name exists') },
      },
      schema: { body: TagPostBody },
    },
    async (request, reply) => {
      const tag = await createLocationTag(app.database, accountOf(request).locationId, request.body.name, {
        keepWrittenName: true,
        ...(request.body.tag_source !== undefined ? { tagSource: request.body.tag_source } : {}),
      })
      return reply.code(201).send(presentTag(tag))
    },
  )

  app.get(
    '/contact_tags/:tag_id',
    {
      config: { documentedResponses: { 200: TagDocument, 404: notFoundDocument('tag') } },
      schema: { params: IdParams.tag, querystring: TagQuery },
    },
    async (request) => {
      const locationId = accountOf(request).locationId
      const tag = await getLocationTag(app.database, locationId, request.params.tag_id)
      return presentTag(
        tag,
        request.query.include_count ? await countTagHolders(app.database, locationId, tag.id) : undefined,
      )
    },
  )

  app.put(
    '/contact_tags/:tag_id',
    {
      config: { documentedResponses: { 200: TagDocument, 404: notFoundDocument('tag') } },
      schema: { params: IdParams.tag, body: TagPutBody },
    },
    async (request) =>
      presentTag(
        await renameLocationTag(
          app.database,
          accountOf(request).locationId,
          request.params.tag_id,
          request.body.name,
          { keepWrittenName: true },
        ),
      ),
  )

  /** Constant Contact deletes a tag asynchronously: 202 with the activity doing it. */
  app.delete(
    '/contact_tags/:tag_id',
    {
      config: {
        documentedResponses: {
          202: { ...ActivityDocument, description: 'A contacts_tags_delete activity' },
          404: notFoundDocument('tag'),
        },
      },
      schema: { params: IdParams.tag },
    },
    async (request, reply) => {
      const { locationId } = accountOf(request)
      const tag = await getLocationTag(app.database, locationId, request.params.tag_id)
      const activity = await createTagDeleteActivity(app.database, locationId, [tag.id])
      app.activityQueued()
      return reply.code(202).send(presentActivity(activity))
    },
  )
}
