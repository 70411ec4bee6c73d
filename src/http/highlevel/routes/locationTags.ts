import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import {
  createLocationTag,
  deleteLocationTag,
  getLocationTag,
  listLocationTags,
  renameLocationTag,
} from '../../../services/locationTags.js'
import { presentTag } from '../presenters.js'
import { LocationTagDocument, LocationTagsDocument, SucceededDocument } from '../responses.js'
import { LocationParams, LocationTagParams, TagNameBody } from '../schemas.js'

export const locationTagRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const read = { scope: 'locations/tags.readonly', locationFrom: 'params' } as const
  const write = { scope: 'locations/tags.write', locationFrom: 'params' } as const

  app.get(
    '/locations/:locationId/tags',
    {
      schema: { params: LocationParams },
      config: { ...read, documentedResponses: { 200: LocationTagsDocument } },
    },
    async (request) => {
      const tags = await listLocationTags(app.database, request.params.locationId)
      return { tags: tags.map(presentTag) }
    },
  )

  app.post(
    '/locations/:locationId/tags',
    {
      schema: { params: LocationParams, body: TagNameBody },
      config: { ...write, documentedResponses: { 200: LocationTagDocument } },
    },
    async (request) => {
      const tag = await createLocationTag(app.database, request.params.locationId, request.body.name)
      return { tag: presentTag(tag) }
    },
  )

  app.get(
    '/locations/:locationId/tags/:tagId',
    {
      schema: { params: LocationTagParams },
      config: { ...read, documentedResponses: { 200: LocationTagDocument } },
    },
    async (request) => {
      const tag = await getLocationTag(app.database, request.params.locationId, request.params.tagId)
      return { tag: presentTag(tag) }
    },
  )

  app.put(
    '/locations/:locationId/tags/:tagId',
    {
      schema: { params: LocationTagParams, body: TagNameBody },
      config: { ...write, documentedResponses: { 200: LocationTagDocument } },
    },
    async (request) => {
      const { locationId, tagId } = request.params
      const tag = await renameLocationTag(app.database, locationId, tagId, request.body.name)
      return { tag: presentTag(tag) }
    },
  )

  app.delete(
    '/locations/:locationId/tags/:tagId',
    {
      schema: { params: LocationTagParams },
      config: { ...write, documentedResponses: { 200: SucceededDocument } },
    },
    async (request) => {
      await deleteLocationTag(app.database, request.params.locationId, request.params.tagId)
      return { succeded: true }
    },
  )
}
