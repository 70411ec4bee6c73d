import type { Selectable } from 'kysely'
import type { Db } from './database.js'
import type { LocationsTable } from './schema.js'

export type LocationRow = Selectable<LocationsTable>

export async function insertLocation(db: Db, row: LocationRow): Promise<void> {
  await db.kysely.insertInto('locations').values(row).execute()
}

export async function findLocation(db: Db, id: string): Promise<LocationRow | undefined> {
  return db.kysely.selectFrom('locations').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function listLocations(db: Db): Promise<LocationRow[]> {
  return db.kysely.selectFrom('locations').selectAll().orderBy('created_at').orderBy('id').execute()
}
