import type { Insertable, Selectable } from 'kysely'
import type { Db } from './database.js'
import type { LocationsTable } from './schema.js'

export type LocationRow = Selectable<LocationsTable>

export async function insertLocation(db: Db, row: Insertable<LocationsTable>): Promise<void> {
  await db.kysely.insertInto('locations').values(row).execute()
}

export async function findLocation(db: Db, id: string): Promise<LocationRow | undefined> {
  return db.kysely.selectFrom('locations').selectAll().where('id', '=', id).executeTakeFirst()
}

/** The country a location's national phone numbers are read in; null when it names none. */
export async function findPhoneCountry(db: Db, locationId: string): Promise<string | null> {
  const row = await db.kysely
    .selectFrom('locations')
    .select('phone_country')
    .where('id', '=', locationId)
    .executeTakeFirst()
  return row?.phone_country ?? null
}

export async function listLocations(db: Db): Promise<LocationRow[]> {
  return db.kysely.selectFrom('locations').selectAll().orderBy('created_at').orderBy('id').execute()
}
