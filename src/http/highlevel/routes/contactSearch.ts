import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { parseSearchFilters, parseSearchSort, SEARCH_LIMITS } from '../../../domain/contactSearch.js'
import { findDuplicateContact, searchLocationContacts } from '../../../services/contactSearch.js'
import { principalOf } from '../auth.js'
import { unprocessable } from '../errors.js'
import { presentContact } from '../presenters.js'
import { ContactSearchDocument, DuplicateContactDocument } from '../responses.js'
import { DuplicateContactQuery, SearchContactsBody } from '../schemas.js'

const SORT_COLUMN = { dateAdded: 'created_at', dateUpdated: 'updated_at' } as const

/** `searchAfter` as sent back: the sort value (epoch ms, or the ISO text) and the contact id. */
function positionOf(raw: ReadonlyArray<number | string>): { sortValue: string; id: string } | null {
  const [value, id] = raw
  const date = typeof value === 'number' ? new Date(value) : new Date(String(value))
  if (typeof id !== 'string' || Number.isNaN(date.getTime())) return null
  return { sortValue: date.toISOString(), id }
}

export const contactSearchRoutes: FastifyPluginAsyncTypebox = async (app) => {
  /** HighLevel's advanced search (SDK `searchContactsAdvanced`): how callers pick contacts to tag. */
  app.post(
    '/contacts/search',
    {
      schema: { body: SearchContactsBody },
      config: {
        documentedResponses: { 200: ContactSearchDocument },
        scope: 'contacts.readonly',
        locationFrom: 'body',
      },
    },
    async (request, reply) => {
      const body = request.body
      const filters = parseSearchFilters(body.filters)
      const sort = parseSearchSort(body.sort)
      const problems = [...(filters.ok ? [] : filters.problems), ...(sort.ok ? [] : sort.problems)]
      const after = body.searchAfter ? positionOf(body.searchAfter) : undefined
      if (after === null) problems.push('searchAfter must be [sort value, contact id] from a previous answer')
      if (body.page !== undefined && body.searchAfter)
        problems.push('page and searchAfter cannot be combined')
      const page = body.page ?? 1
      if (page * body.pageLimit > SEARCH_LIMITS.maxOffsetResults)
        problems.push(
          `page × pageLimit may not pass ${SEARCH_LIMITS.maxOffsetResults}; page on with searchAfter`,
        )
      if (!filters.ok || !sort.ok || problems.length > 0) throw unprocessable(problems)
      const { contacts, total } = await searchLocationContacts(
        app.database,
        principalOf(request).locationId,
        {
          filters: filters.value,
          ...(body.query !== undefined ? { query: body.query } : {}),
          sort: sort.value,
          limit: body.pageLimit,
          offset: after ? 0 : (page - 1) * body.pageLimit,
          ...(after ? { after } : {}),
        },
      )
      const column = SORT_COLUMN[sort.value.field]
      return reply.send({
        contacts: contacts.map((contact) => ({
          ...presentContact(contact),
          searchAfter: [Date.parse(contact[column]), contact.id],
        })),
        total,
      })
    },
  )

  /** SDK `getDuplicateContact`: the contact a new one with this email (first) or phone would duplicate. */
  app.get(
    '/contacts/search/duplicate',
    {
      schema: { querystring: DuplicateContactQuery },
      config: {
        documentedResponses: { 200: DuplicateContactDocument },
        scope: 'contacts.readonly',
        locationFrom: 'query',
      },
    },
    async (request) => {
      const { email, number } = request.query
      if (email === undefined && number === undefined) throw unprocessable(['email or number is required'])
      const found = await findDuplicateContact(app.database, principalOf(request).locationId, {
        ...(email !== undefined ? { email } : {}),
        ...(number !== undefined ? { phone: number } : {}),
      })
      return { contact: found ? presentContact(found) : null }
    },
  )
}
