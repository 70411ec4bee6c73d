import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { createList, deleteList, getList, listListsPage, updateList } from '../../../services/lists.js'
import { accountOf } from '../auth.js'
import { decodeCursor, nextLink } from '../paging.js'
import { presentList } from '../presenters.js'
import {
  conflictDocument,
  ListDocument,
  ListPageDocument,
  NoContentDocument,
  notFoundDocument,
} from '../responses.js'
import { IdParams, ListBody, ListsQuery } from '../schemas.js'

export const contactListRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/contact_lists',
    { config: { documentedResponses: { 200: ListPageDocument } }, schema: { querystring: ListsQuery } },
    async (request) => {
      const { limit, include_membership_count, cursor } = request.query
      const afterId = decodeCursor(cursor)
      const page = await listListsPage(app.database, accountOf(request).locationId, {
        limit,
        withCounts: include_membership_count !== undefined,
        ...(afterId ? { afterId } : {}),
      })
      return {
        lists: page.map((p) => presentList(p.list, p.membershipCount)),
        lists_count: page.length,
        _links: nextLink(
          '/v3/contact_lists',
          { limit, include_membership_count },
          page,
          limit,
          page.at(-1)?.list.id,
        ),
      }
    },
  )

  app.post(
    '/contact_lists',
    {
      config: {
        documentedResponses: { 201: ListDocument, 409: conflictDocument('A list with this name exists') },
      },
      schema: { body: ListBody },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(presentList(await createList(app.database, accountOf(request).locationId, request.body))),
  )

  app.get(
    '/contact_lists/:list_id',
    {
      config: { documentedResponses: { 200: ListDocument, 404: notFoundDocument('list') } },
      schema: { params: IdParams.list },
    },
    async (request) =>
      presentList(await getList(app.database, accountOf(request).locationId, request.params.list_id)),
  )

  app.put(
    '/contact_lists/:list_id',
    {
      config: { documentedResponses: { 200: ListDocument, 404: notFoundDocument('list') } },
      schema: { params: IdParams.list, body: ListBody },
    },
    async (request) =>
      presentList(
        await updateList(app.database, accountOf(request).locationId, request.params.list_id, request.body),
      ),
  )

  /** Deleted at once (memberships with it), not through an activity as Constant Contact does. */
  app.delete(
    '/contact_lists/:list_id',
    {
      config: { documentedResponses: { 204: NoContentDocument, 404: notFoundDocument('list') } },
      schema: { params: IdParams.list },
    },
    async (request, reply) => {
      await deleteList(app.database, accountOf(request).locationId, request.params.list_id)
      return reply.code(204).send()
    },
  )
}
