import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { editContactTags } from '../../../services/contacts.js'
import { principalOf } from '../auth.js'
import { ContactTagsDocument } from '../responses.js'
import { ContactIdParams, TagsBody } from '../schemas.js'

const SOURCE = 'highlevel.contact-tags'

export const contactTagRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const schema = { params: ContactIdParams, body: TagsBody }

  app.post(
    '/contacts/:contactId/tags',
    { schema, config: { documentedResponses: { 201: ContactTagsDocument }, scope: 'contacts.write' } },
    async (request, reply) => {
      const { locationId } = principalOf(request)
      const tags = await editContactTags(
        app.database,
        locationId,
        request.params.contactId,
        'add',
        request.body.tags,
        SOURCE,
      )
      return reply.code(201).send({ tags })
    },
  )

  app.delete(
    '/contacts/:contactId/tags',
    { schema, config: { documentedResponses: { 200: ContactTagsDocument }, scope: 'contacts.write' } },
    async (request) => {
      const { locationId } = principalOf(request)
      const tags = await editContactTags(
        app.database,
        locationId,
        request.params.contactId,
        'remove',
        request.body.tags,
        SOURCE,
      )
      return { tags }
    },
  )
}
