import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Static } from '@sinclair/typebox'
import { DEFAULT_ACTIVITY_SETTINGS } from '../../../domain/activities.js'
import { parseIsoInstant } from '../../../domain/instants.js'
import type { Principal } from '../../../services/admin.js'
import {
  type ContactInput,
  type ContactView,
  contactConsentCounts,
  contactLinks,
  createContact,
  deleteContact,
  getContact,
  listContactsByFilter,
  tagNamesForIds,
  updateContact,
} from '../../../services/contacts.js'
import type { ContactFilter } from '../../../store/contacts.js'
import type { Database } from '../../../store/database.js'
import { accountOf } from '../auth.js'
import { badRequest } from '../errors.js'
import { decodeCursor, nextLink } from '../paging.js'
import { type ConstantContactExtra, presentContact } from '../presenters.js'
import {
  ContactCountsDocument,
  ContactDocument,
  ContactPageDocument,
  conflictDocument,
  NoContentDocument,
  notFoundDocument,
} from '../responses.js'
import {
  CONTACT_INCLUDES,
  ContactCountsQuery,
  ContactPostBody,
  ContactPutBody,
  ContactsQuery,
  IdParams,
  UNSTORED_CONTACT_INCLUDES,
} from '../schemas.js'

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

function splitList(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
}

const MAX_TAG_FILTER = 50
const MAX_LIST_FILTER = 25

/**
 * The listing's query as a store filter; every problem is refused at once (400), none ignored:
 * a filter the caller thinks applied and did not would select the wrong contacts.
 */
function contactFilterOf(query: Static<typeof ContactsQuery>): ContactFilter {
  const problems: string[] = []
  const tagIds = splitList(query.tags)
  const listIds = splitList(query.lists)
  if (tagIds.length > MAX_TAG_FILTER) problems.push(`tags may name at most ${MAX_TAG_FILTER} tag ids`)
  if (listIds.length > MAX_LIST_FILTER) problems.push(`lists may name at most ${MAX_LIST_FILTER} list ids`)
  for (const name of splitList(query.include)) {
    if ((UNSTORED_CONTACT_INCLUDES as readonly string[]).includes(name))
      problems.push(`include=${name} is not supported: Tagbase stores no ${name.replace('_', ' ')}`)
    else if (!(CONTACT_INCLUDES as readonly string[]).includes(name))
      problems.push(`include must name ${CONTACT_INCLUDES.join(', ')} (got ${JSON.stringify(name)})`)
  }
  const instants: Partial<
    Record<'createdAfter' | 'createdBefore' | 'updatedAfter' | 'updatedBefore', string>
  > = {}
  for (const [param, key] of [
    ['created_after', 'createdAfter'],
    ['created_before', 'createdBefore'],
    ['updated_after', 'updatedAfter'],
    ['updated_before', 'updatedBefore'],
  ] as const) {
    const raw = query[param]
    if (raw === undefined) continue
    const instant = parseIsoInstant(raw)
    if (instant === null)
      problems.push(`${param} must be an ISO-8601 date or date-time (got ${JSON.stringify(raw)})`)
    else instants[key] = instant
  }
  if (problems.length > 0) throw badRequest(problems.map((message) => ({ message })))
  return {
    status: query.status,
    ...(query.email !== undefined ? { emailLower: query.email.trim().toLowerCase() } : {}),
    tagIds,
    listIds,
    ...instants,
  }
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
      const query = request.query
      const { limit, include_count } = query
      const afterId = decodeCursor(query.cursor)
      const filter = contactFilterOf(query)
      const { contacts, count } = await listContactsByFilter(
        app.database,
        locationId,
        filter,
        { limit, ...(afterId ? { afterId } : {}) },
        include_count,
      )
      const { cursor: _cursor, include_count: _count, ...carried } = query
      return {
        contacts: await present(locationId, contacts),
        ...(count !== undefined ? { contacts_count: count } : {}),
        _links: nextLink(
          '/v3/contacts',
          { ...carried, include_count: include_count || undefined },
          contacts,
          limit,
          contacts.at(-1)?.id,
        ),
      }
    },
  )

  app.get(
    '/contacts/counts',
    {
      config: { documentedResponses: { 200: ContactCountsDocument } },
      schema: { querystring: ContactCountsQuery },
    },
    async (request) => {
      const { locationId } = accountOf(request)
      const counts = await contactConsentCounts(
        app.database,
        locationId,
        DEFAULT_ACTIVITY_SETTINGS.newSubscriberDays,
      )
      return {
        total: counts.total,
        explicit: counts.explicit,
        implicit: counts.implicit,
        pending: counts.pending,
        unsubscribed: counts.unsubscribed,
        ...(request.query.include === 'new_subscriber' ? { new_subscriber: counts.newSubscribers } : {}),
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
      await deleteContact(
        app.database,
        accountOf(request).locationId,
        request.params.contact_id,
        'constantcontact.contact',
      )
      return reply.code(204).send()
    },
  )
}
