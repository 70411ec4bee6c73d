import { type ExpressionBuilder, sql } from 'kysely'
import type { Schema } from './schema.js'

type ContactsScope = ExpressionBuilder<Schema, 'contacts'>

/** The contact carries any of these tags (a keyed seek per contact on contact_tags' primary key). */
export function carriesAnyTag(eb: ContactsScope, locationId: string, tagIds: readonly string[]) {
  return eb.exists(
    eb
      .selectFrom('contact_tags')
      .select(sql`1`.as('one'))
      .where('contact_tags.location_id', '=', locationId)
      .whereRef('contact_tags.contact_id', '=', 'contacts.id')
      .where('contact_tags.tag_id', 'in', tagIds),
  )
}

/** The contact is a member of any of these lists. */
export function inAnyList(eb: ContactsScope, locationId: string, listIds: readonly string[]) {
  return eb.exists(
    eb
      .selectFrom('list_memberships')
      .select(sql`1`.as('one'))
      .where('list_memberships.location_id', '=', locationId)
      .whereRef('list_memberships.contact_id', '=', 'contacts.id')
      .where('list_memberships.list_id', 'in', listIds),
  )
}
