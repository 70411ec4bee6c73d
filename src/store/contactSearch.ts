import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely'
import type { SearchCondition, SearchFilter, SearchSort, SearchTextField } from '../domain/contactSearch.js'
import { type ContactRow, decodeContacts, escapeLike } from './contacts.js'
import type { Db } from './database.js'
import type { Schema } from './schema.js'

type Contacts = ExpressionBuilder<Schema, 'contacts'>

export type ContactSearch = {
  filters: readonly SearchFilter[]
  /** Substring of the name, email, phone or company (what GET /contacts/ matches too). */
  query?: string
}

/** Offset paging, or keyset paging after the last row seen (its sort value and id). */
export type SearchPage = { limit: number; offset: number; after?: { sortValue: string; id: string } }

const TEXT_COLUMNS = {
  email: sql.ref<string | null>('contacts.email_lower'),
  phone: sql.ref<string | null>('contacts.phone'),
  firstNameLowerCase: sql<string | null>`lower(contacts.first_name)`,
  lastNameLowerCase: sql<string | null>`lower(contacts.last_name)`,
  companyName: sql<string | null>`lower(contacts.company_name)`,
} satisfies Record<SearchTextField, Expression<string | null>>

const SORT_COLUMNS = { dateAdded: 'contacts.created_at', dateUpdated: 'contacts.updated_at' } as const

/** The contact carries any tag named so (tags are matched by their normalised name). */
function carriesTagNamed(eb: Contacts, locationId: string, names: readonly string[] | 'any') {
  return eb.exists(
    eb
      .selectFrom('contact_tags')
      .innerJoin('tags', (join) =>
        join
          .onRef('tags.location_id', '=', 'contact_tags.location_id')
          .onRef('tags.id', '=', 'contact_tags.tag_id'),
      )
      .select(sql`1`.as('one'))
      .where('contact_tags.location_id', '=', locationId)
      .whereRef('contact_tags.contact_id', '=', 'contacts.id')
      .$if(names !== 'any', (q) => q.where('tags.name', 'in', names as readonly string[])),
  )
}

function conditionSql(eb: Contacts, locationId: string, condition: SearchCondition): Expression<SqlBool> {
  switch (condition.kind) {
    case 'tags': {
      const carries = carriesTagNamed(eb, locationId, condition.names)
      return condition.carries ? carries : eb.not(carries)
    }
    case 'any-tag': {
      const carries = carriesTagNamed(eb, locationId, 'any')
      return condition.exists ? carries : eb.not(carries)
    }
    case 'text-exists': {
      const column = TEXT_COLUMNS[condition.field]
      return condition.exists
        ? sql<SqlBool>`(${column} is not null and ${column} <> '')`
        : sql<SqlBool>`(${column} is null or ${column} = '')`
    }
    case 'text': {
      const column = TEXT_COLUMNS[condition.field]
      // Phones are compared as stored (E.164, normalised by the service); the rest without case.
      const value = condition.field === 'phone' ? condition.value : condition.value.toLowerCase()
      const matches =
        condition.match === 'eq' || condition.match === 'not_eq'
          ? sql<SqlBool>`${column} = ${value}`
          : sql<SqlBool>`${column} like ${`%${escapeLike(value)}%`} escape '\\'`
      // A missing value is "not equal" / "does not contain" anything.
      return condition.match.startsWith('not_')
        ? sql<SqlBool>`(${column} is null or not (${matches}))`
        : matches
    }
    case 'date': {
      const column = sql.ref<string>(SORT_COLUMNS[condition.field])
      const bounds: Expression<SqlBool>[] = []
      if (condition.gte !== undefined) bounds.push(sql<SqlBool>`${column} >= ${condition.gte}`)
      if (condition.gt !== undefined) bounds.push(sql<SqlBool>`${column} > ${condition.gt}`)
      if (condition.lte !== undefined) bounds.push(sql<SqlBool>`${column} <= ${condition.lte}`)
      if (condition.lt !== undefined) bounds.push(sql<SqlBool>`${column} < ${condition.lt}`)
      return eb.and(bounds)
    }
    case 'dnd':
      return eb('contacts.dnd', '=', condition.value ? 1 : 0)
  }
}

function filterSql(eb: Contacts, locationId: string, filter: SearchFilter): Expression<SqlBool> {
  if (filter.kind !== 'group') return conditionSql(eb, locationId, filter)
  const parts = filter.filters.map((f) => filterSql(eb, locationId, f))
  if (parts.length === 0) return sql<SqlBool>`1 = 1`
  return filter.any ? eb.or(parts) : eb.and(parts)
}

function searched(db: Db, locationId: string, search: ContactSearch) {
  const query = search.query?.trim().toLowerCase()
  return db.kysely
    .selectFrom('contacts')
    .where('contacts.location_id', '=', locationId)
    .where('contacts.deleted_at', 'is', null)
    .$if(query !== undefined && query.length > 0, (q) =>
      q.where(sql<SqlBool>`contacts.search_text like ${`%${escapeLike(query as string)}%`} escape '\\'`),
    )
    .where((eb) => eb.and(search.filters.map((f) => filterSql(eb, locationId, f))))
}

/** One page of live contacts matching the search, in the sort's order (ties by id). */
export async function searchContacts(
  db: Db,
  locationId: string,
  search: ContactSearch,
  sort: SearchSort,
  page: SearchPage,
): Promise<ContactRow[]> {
  const column = SORT_COLUMNS[sort.field]
  const direction = sort.descending ? 'desc' : 'asc'
  const after = page.after
  const rows = await searched(db, locationId, search)
    .selectAll('contacts')
    .$if(after !== undefined, (q) =>
      q.where((eb) => {
        const { sortValue, id } = after as { sortValue: string; id: string }
        const beyond = sort.descending ? '<' : '>'
        return eb.or([
          eb(column, beyond, sortValue),
          eb.and([eb(column, '=', sortValue), eb('contacts.id', beyond, id)]),
        ])
      }),
    )
    .orderBy(column, direction)
    .orderBy('contacts.id', direction)
    .limit(page.limit)
    .offset(page.offset)
    .execute()
  return decodeContacts(rows)
}

export async function countSearchedContacts(
  db: Db,
  locationId: string,
  search: ContactSearch,
): Promise<number> {
  const row = await searched(db, locationId, search)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirst()
  return Number(row?.n ?? 0)
}
