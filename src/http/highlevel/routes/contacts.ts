import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import {
  createContact,
  deleteContact,
  getContact,
  listContacts,
  updateContact,
  upsertContact,
} from '../../../services/contacts.js'
import { principalOf } from '../auth.js'
import { contactInputFrom, presentContact } from '../presenters.js'
import {
  ContactEnvelopeDocument,
  ContactPageDocument,
  SucceededDocument,
  UpdatedContactDocument,
  UpsertedContactDocument,
} from '../responses.js'
import {
  ContactIdParams,
  CreateContactBody,
  ListContactsQuery,
  UpdateContactBody,
  UpsertContactBody,
} from '../schemas.js'

const SOURCE = 'highlevel.contact'

export const contactRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/contacts/',
    {
      schema: { body: CreateContactBody },
      config: {
        documentedResponses: { 201: ContactEnvelopeDocument },
        scope: 'contacts.write',
        locationFrom: 'body',
      },
    },
    async (request, reply) => {
      const contact = await createContact(
        app.database,
        request.body.locationId,
        contactInputFrom(request.body),
        SOURCE,
      )
      return reply.code(201).send({ contact: presentContact(contact) })
    },
  )

  app.post(
    '/contacts/upsert',
    {
      schema: { body: UpsertContactBody },
      config: {
        documentedResponses: { 200: UpsertedContactDocument },
        scope: 'contacts.write',
        locationFrom: 'body',
      },
    },
    async (request) => {
      const { created, contact } = await upsertContact(
        app.database,
        request.body.locationId,
        contactInputFrom(request.body),
        SOURCE,
      )
      return { new: created, contact: presentContact(contact), traceId: request.id }
    },
  )

  app.get(
    '/contacts/',
    {
      schema: { querystring: ListContactsQuery },
      config: {
        documentedResponses: { 200: ContactPageDocument },
        scope: 'contacts.readonly',
        locationFrom: 'query',
      },
    },
    async (request) => {
      const { locationId, query, limit, startAfterId } = request.query
      const page = await listContacts(app.database, locationId, { query, limit, startAfterId })
      const last = page.contacts.at(-1)
      const full = page.contacts.length === limit
      const next = new URLSearchParams({ locationId, limit: String(limit) })
      if (query) next.set('query', query)
      if (last) next.set('startAfterId', last.id)
      return {
        contacts: page.contacts.map(presentContact),
        count: page.total,
        meta: {
          total: page.total,
          startAfterId: full && last ? last.id : null,
          startAfter: full && last ? Date.parse(last.created_at) : null,
          nextPageUrl: full && last ? `${request.protocol}://${request.host}/contacts/?${next}` : null,
        },
      }
    },
  )

  app.get(
    '/contacts/:contactId',
    {
      schema: { params: ContactIdParams },
      config: { documentedResponses: { 200: ContactEnvelopeDocument }, scope: 'contacts.readonly' },
    },
    async (request) => {
      const contact = await getContact(
        app.database,
        principalOf(request).locationId,
        request.params.contactId,
      )
      return { contact: presentContact(contact) }
    },
  )

  app.put(
    '/contacts/:contactId',
    {
      schema: { params: ContactIdParams, body: UpdateContactBody },
      config: { documentedResponses: { 200: UpdatedContactDocument }, scope: 'contacts.write' },
    },
    async (request) => {
      const contact = await updateContact(
        app.database,
        principalOf(request).locationId,
        request.params.contactId,
        contactInputFrom(request.body),
        SOURCE,
      )
      return { succeded: true, contact: presentContact(contact) }
    },
  )

  app.delete(
    '/contacts/:contactId',
    {
      schema: { params: ContactIdParams },
      config: { documentedResponses: { 200: SucceededDocument }, scope: 'contacts.write' },
    },
    async (request) => {
      await deleteContact(app.database, principalOf(request).locationId, request.params.contactId, SOURCE)
      return { succeded: true }
    },
  )
}
