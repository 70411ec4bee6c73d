import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Static } from '@sinclair/typebox'
import type { Principal } from '../../../services/admin.js'
import {
  type ContactInput,
  type ContactView,
  contactLinks,
  createContact,
  deleteContact,
  getContact,
  listContactsByFilter,
  tagNamesForIds,
  updateContact,
} from '../../../services/contacts.js'
import type { Database } from '../../../store/database.js'
import { accountOf } from '../auth.js'
import { decodeCursor, nextLink } from '../paging.js'
import { type ConstantContactExtra, presentContact } from '../presenters.js'
import {
  ContactDocument,
  ContactPageDocument,
  conflictDocument,
  NoContentDocument,
  notFoundDocument,
} from '../responses.js'
import { ContactPostBody, ContactPutBody, ContactsQuery, IdParams } from '../schemas.js'

type ContactBody = Static<typeof ContactPostBody> | Static<typeof ContactPutBody>

/** Constant Contact's contact body as the shared contact fields. */
async function contactInput(
  database: Database,
  account: Principal,
  body: ContactBody,
): Promise<ContactInput> {
  const extra: ConstantContactExtra = {}
  if (body.job_title !== undefined) extra.jobTitle = body.job_title
  const permission = body.email_address.permission_to_send
  if (permission !== undefined && permission !== 'unsubscribed') extra.permissionToSend = permission
  if ('create_source' in body && body.create_source) extra.createSource = body.create_source
  if ('update_source' in body) extra.updateSource = body.update_source
  const phone = body.phone_numbers?.[0]
  if (phone?.kind) extra.phoneKind = phone.kind
  return {
    email: body.email_address.address,
    ...(body.first_name !== undefined ? { firstName: body.first_name } : {}),
    ...(body.last_name !== undefined ? { lastName: body.last_name } : {}),
    ...(body.company_name !== undefined ? { companyName: body.company_name } : {}),
    ...(phone ? { phone: phone.phone_number } : {}),
    extra: extra as Record<string, unknown>,
    ...(body.taggings !== undefined
      ? { tags: await tagNamesForIds(database, account.locationId, body.taggings, 'taggings') }
      : {}),
    ...(body.list_memberships !== undefined ? { listIds: body.list_memberships } : {}),
    ...(permission !== undefined
      ? { subscription: permission === 'unsubscribed' ? 'unsubscribed' : 'subscribed' }
      : {}),
  }
}

function splitIds(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
}

export const contactRoutes: FastifyPluginAsyncTypebox = async (app) => {
  async function present(locationId: string, views: ContactView[]) {
    const links = await contactLinks(
      app.database,
      locationId,
      views.map((v) => v.id),
    )
    return views.map((v) => presentContact(v, links.get(v.id) ?? { tagIds: [], listIds: [] }))
  }

  app.post(
    '/contacts',
    {
      config: {
        documentedResponses: {
          201: ContactDocument,
          409: conflictDocument('A contact with this email exists'),
        },
      },
      schema: { body: ContactPostBody },
    },
    async (request, reply) => {
      const account = accountOf(request)
      const input = await contactInput(app.database, account, request.body)
      const created = await createContact(app.database, account.locationId, input, 'constantcontact.contact')
      return reply.code(201).send((await present(account.locationId, [created]))[0])
    },
  )

  app.get(
    '/contacts',
    { config: { documentedResponses: { 200: ContactPageDocument } }, schema: { querystring: ContactsQuery } },
    async (request) => {
      const { locationId } = accountOf(request)
      const { status, email, tags, lists, limit, cursor, include } = request.query
      const afterId = decodeCursor(cursor)
      const views = await listContactsByFilter(app.database, locationId, {
        status,
        ...(email !== undefined ? { emailLower: email.trim().toLowerCase() } : {}),
        tagIds: splitIds(tags),
        listIds: splitIds(lists),
        limit,
        ...(afterId ? { afterId } : {}),
      })
      return {
        contacts: await present(locationId, views),
        _links: nextLink(
          '/v3/contacts',
          { status, email, tags, lists, limit, include },
          views,
          limit,
          views.at(-1)?.id,
        ),
      }
    },
  )

  app.get(
    '/contacts/:contact_id',
    {
      config: { documentedResponses: { 200: ContactDocument, 404: notFoundDocument('contact') } },
      schema: { params: IdParams.contact },
    },
    async (request) => {
      const { locationId } = accountOf(request)
      return (
        await present(locationId, [await getContact(app.database, locationId, request.params.contact_id)])
      )[0]
    },
  )

  /**
   * Replaces the fields the body gives. Unlike Constant Contact, omitted `taggings` and
   * `list_memberships` are kept rather than cleared: leaving them out never loses data.
   */
  app.put(
    '/contacts/:contact_id',
    {
      config: { documentedResponses: { 200: ContactDocument, 404: notFoundDocument('contact') } },
      schema: { params: IdParams.contact, body: ContactPutBody },
    },
    async (request) => {
      const account = accountOf(request)
      const input = await contactInput(app.database, account, request.body)
      const updated = await updateContact(
        app.database,
        account.locationId,
        request.params.contact_id,
        input,
        'constantcontact.contact',
      )
      return (await present(account.locationId, [updated]))[0]
    },
  )

  app.delete(
    '/contacts/:contact_id',
    {
      config: { documentedResponses: { 204: NoContentDocument, 404: notFoundDocument('contact') } },
      schema: { params: IdParams.contact },
    },
    async (request, reply) => {
      await deleteContact(app.database, accountOf(request).locationId, request.params.contact_id)
      return reply.code(204).send()
    },
  )
}
