import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { SelectType } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Schema } from '../../src/store/schema.js'
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js'
import { indexDefinitions } from '../helpers/indexes.js'

/**
 * `store/schema.ts` is written by hand; this keeps it and the migrations in step.
 * - At compile time: COLUMNS must name every column of every table in `Schema`, no more, each
 *   with the nullability its TypeScript type has (a column added to a table type, or made
 *   nullable there, does not compile until it is listed here).
 * - At run time: an empty database migrated on each engine must have exactly those tables,
 *   columns and nullabilities, and match the committed snapshot of column types, defaults and
 *   indexes (UPDATE_SCHEMA_SNAPSHOT=1 rewrites the snapshot after a deliberate change).
 */
type Nullability<Row> = { [C in keyof Row]-?: null extends SelectType<Row[C]> ? 'null' : 'not null' }

const COLUMNS: { [T in keyof Schema]: Nullability<Schema[T]> } = {
  access_tokens: {
    location_id: 'not null',
    id: 'not null',
    token_hash: 'not null',
    scopes: 'not null',
    name: 'not null',
    created_at: 'not null',
    revoked_at: 'null',
  },
  activities: {
    location_id: 'not null',
    id: 'not null',
    kind: 'not null',
    state: 'not null',
    tag_ids: 'not null',
    tag_names: 'null',
    list_ids: 'null',
    selector: 'null',
    snapshot_seq: 'null',
    cursor: 'null',
    items_total: 'null',
    items_completed: 'not null',
    errors: 'not null',
    lease_owner: 'null',
    lease_expires_at: 'null',
    created_at: 'not null',
    updated_at: 'not null',
    started_at: 'null',
    completed_at: 'null',
    undo_of: 'null',
    items_skipped: 'not null',
    failed_attempts: 'not null',
    first_event_id: 'null',
    last_event_id: 'null',
    events_logged: 'not null',
  },
  contact_tags: {
    location_id: 'not null',
    contact_id: 'not null',
    tag_id: 'not null',
  },
  contacts: {
    location_id: 'not null',
    id: 'not null',
    first_name: 'null',
    last_name: 'null',
    name: 'null',
    email: 'null',
    email_lower: 'null',
    phone: 'null',
    company_name: 'null',
    address1: 'null',
    city: 'null',
    state: 'null',
    postal_code: 'null',
    country: 'null',
    website: 'null',
    timezone: 'null',
    source: 'null',
    date_of_birth: 'null',
    assigned_to: 'null',
    dnd: 'not null',
    extra: 'not null',
    search_text: 'not null',
    created_at: 'not null',
    updated_at: 'not null',
    deleted_at: 'null',
    subscribed_at: 'null',
    unsubscribed_at: 'null',
    seq: 'not null',
    last_tag_event_id: 'null',
  },
  events: {
    location_id: 'not null',
    id: 'not null',
    contact_id: 'not null',
    type: 'not null',
    tags_added: 'not null',
    tags_removed: 'not null',
    source: 'not null',
    created_at: 'not null',
    activity_id: 'null',
    previous_tag_event_id: 'null',
  },
  idempotency_keys: {
    location_id: 'not null',
    key: 'not null',
    fingerprint: 'not null',
    status: 'null',
    response: 'null',
    created_at: 'not null',
  },
  list_memberships: {
    location_id: 'not null',
    list_id: 'not null',
    contact_id: 'not null',
    created_at: 'not null',
  },
  lists: {
    location_id: 'not null',
    id: 'not null',
    name: 'not null',
    created_at: 'not null',
    updated_at: 'not null',
    description: 'null',
    favorite: 'not null',
  },
  list_membership_changes: {
    location_id: 'not null',
    activity_id: 'not null',
    contact_id: 'not null',
    list_id: 'not null',
    change: 'not null',
  },
  activity_skips: {
    location_id: 'not null',
    activity_id: 'not null',
    seq: 'not null',
    reason: 'not null',
    contact_ids: 'not null',
  },
  locations: {
    id: 'not null',
    name: 'not null',
    created_at: 'not null',
    phone_country: 'null',
  },
  operator_credentials: {
    id: 'not null',
    secret_hash: 'not null',
    created_at: 'not null',
    revoked_at: 'null',
  },
  signing_keys: {
    id: 'not null',
    private_key_pem: 'not null',
    public_key_pem: 'not null',
    created_at: 'not null',
  },
  tags: {
    location_id: 'not null',
    id: 'not null',
    name: 'not null',
    created_at: 'not null',
    updated_at: 'not null',
    tag_source: 'null',
    display_name: 'null',
  },
  webhook_deliveries: {
    location_id: 'not null',
    webhook_id: 'not null',
    event_id: 'not null',
    contact_id: 'not null',
    state: 'not null',
    attempts: 'not null',
    next_attempt_at: 'not null',
    lease_owner: 'null',
    lease_expires_at: 'null',
    last_status: 'null',
    last_error: 'null',
    created_at: 'not null',
    delivered_at: 'null',
    closed_at: 'null',
  },
  webhooks: {
    location_id: 'not null',
    id: 'not null',
    url: 'not null',
    app_id: 'not null',
    created_at: 'not null',
    consecutive_failures: 'not null',
    paused_until: 'null',
    event_types: 'not null',
    last_error: 'null',
    last_error_at: 'null',
    sender_owner: 'null',
    sender_lease_expires_at: 'null',
  },
}

/** Columns one engine has and the Kysely types deliberately leave out (none since migration 0009). */
const ENGINE_ONLY_COLUMNS: Record<string, Record<string, readonly string[]>> = {
  postgres: {},
  sqlite: {},
}

/**
 * SQLite lets a single-column primary key hold NULL unless declared NOT NULL (a compatibility
 * quirk of its own). events.id is an INTEGER PRIMARY KEY (the rowid: never NULL); the two text
 * keys were declared without NOT NULL in migrations 0001 and 0004, and the code never writes
 * NULL there. Adding it means rebuilding the tables on SQLite; listed here until a migration does.
 */
const SQLITE_NULLABLE_PRIMARY_KEYS: Record<string, string> = {
  events: 'id',
  locations: 'id',
  signing_keys: 'id',
}

type TableSnapshot = {
  columns: Record<string, { type: string; nullable: boolean; hasDefault: boolean }>
  indexes: string[]
}

async function introspect(t: TestDatabase): Promise<Record<string, TableSnapshot>> {
  const tables = (await t.database.kysely.introspection.getTables()).filter(
    (table) =>
      (t.searchPath === undefined || table.schema === t.searchPath) && !table.name.startsWith('kysely_'),
  )
  const indexes = await indexDefinitions(t)
  const snapshot: Record<string, TableSnapshot> = {}
  for (const table of tables.sort((a, b) => a.name.localeCompare(b.name))) {
    const columns: TableSnapshot['columns'] = {}
    for (const c of [...table.columns].sort((a, b) => a.name.localeCompare(b.name)))
      columns[c.name] = { type: c.dataType, nullable: c.isNullable, hasDefault: c.hasDefaultValue }
    snapshot[table.name] = { columns, indexes: (indexes.get(table.name) ?? []).sort() }
  }
  return snapshot
}

for (const dialect of DIALECTS) {
  describe(`schema types and migrations on ${dialect}`, () => {
    let t: TestDatabase
    beforeAll(async () => {
      t = await createTestDatabase(dialect)
    })
    afterAll(() => t.drop())

    it('have the same tables, columns and nullability as store/schema.ts', async () => {
      const snapshot = await introspect(t)
      const actual = Object.fromEntries(
        Object.entries(snapshot).map(([table, { columns }]) => [
          table,
          Object.fromEntries(
            Object.entries(columns)
              .filter(([name]) => !ENGINE_ONLY_COLUMNS[dialect]?.[table]?.includes(name))
              .map(([name, c]) => {
                const quirk = dialect === 'sqlite' && SQLITE_NULLABLE_PRIMARY_KEYS[table] === name
                return [name, c.nullable && !quirk ? 'null' : 'not null']
              }),
          ),
        ]),
      )
      const expected = Object.fromEntries(
        Object.entries(COLUMNS)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([table, columns]) => [
            table,
            Object.fromEntries(Object.entries(columns).sort(([a], [b]) => a.localeCompare(b))),
          ]),
      )
      expect(actual).toEqual(expected)
    })

    it('match the committed snapshot of column types, defaults and indexes', async () => {
      const file = join(import.meta.dirname, 'snapshots', `schema.${dialect}.json`)
      const actual = await introspect(t)
      if (process.env.UPDATE_SCHEMA_SNAPSHOT === '1')
        writeFileSync(file, `${JSON.stringify(actual, null, 2)}\n`)
      expect(actual).toEqual(JSON.parse(readFileSync(file, 'utf8')))
    })
  })
}
