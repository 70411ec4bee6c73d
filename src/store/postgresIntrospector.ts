import {
  type DatabaseIntrospector,
  type DatabaseMetadata,
  type DatabaseMetadataOptions,
  DEFAULT_MIGRATION_LOCK_TABLE,
  DEFAULT_MIGRATION_TABLE,
  type Kysely,
  PostgresDialect,
  type SchemaMetadata,
  sql,
  type TableMetadata,
} from 'kysely'

/**
 * Kysely's PostgreSQL introspector (which its Migrator calls before taking its lock) reads every
 * column of every schema and calls `pg_get_serial_sequence(table name, column name)` on each: a
 * name looked up in the live catalogue for a row read from the statement's snapshot. A column
 * another session dropped meanwhile (another schema's migration, or a second process migrating
 * this one) fails the whole statement with `column "created_at" of relation "contact_tags" does
 * not exist`. This one reads the search_path's schema only, where Tagbase and its migrator live,
 * and finds owned sequences by oid through pg_depend, which the snapshot keeps consistent.
 */
export class CurrentSchemaIntrospector implements DatabaseIntrospector {
  // biome-ignore lint/suspicious/noExplicitAny: introspection queries the catalogue, not the Schema type.
  constructor(private readonly db: Kysely<any>) {}

  async getSchemas(): Promise<SchemaMetadata[]> {
    const { rows } = await sql<{ name: string }>`select nspname as name from pg_catalog.pg_namespace`.execute(
      this.db,
    )
    return rows.map((row) => ({ name: row.name }))
  }

  async getTables(
    options: DatabaseMetadataOptions = { withInternalKyselyTables: false },
  ): Promise<TableMetadata[]> {
    const { rows } = await selectColumnsOfCurrentSchema(this.db, options.withInternalKyselyTables)
    return tablesOf(rows)
  }

  async getMetadata(options?: DatabaseMetadataOptions): Promise<DatabaseMetadata> {
    return { tables: await this.getTables(options) }
  }
}

/** PostgreSQL as Kysely's dialect has it, introspected by CurrentSchemaIntrospector. */
export class CurrentSchemaPostgresDialect extends PostgresDialect {
  // biome-ignore lint/suspicious/noExplicitAny: the Dialect interface's own signature.
  override createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new CurrentSchemaIntrospector(db)
  }
}

type ColumnRow = {
  table: string
  table_type: string
  schema: string
  column: string
  type: string
  type_schema: string
  not_null: boolean
  has_default: boolean
  auto_incrementing: boolean
  column_description: string | null
}

// biome-ignore lint/suspicious/noExplicitAny: see CurrentSchemaIntrospector.
function selectColumnsOfCurrentSchema(db: Kysely<any>, withInternalKyselyTables: boolean) {
  const internalTables = withInternalKyselyTables
    ? sql``
    : sql`and c.relname not in (${DEFAULT_MIGRATION_TABLE}, ${DEFAULT_MIGRATION_LOCK_TABLE})`
  // deptype 'a' ties a serial column's sequence to it, 'i' an identity column's.
  return sql<ColumnRow>`select c.relname as table, c.relkind as table_type, ns.nspname as schema,
      a.attname as column, typ.typname as type, dtns.nspname as type_schema,
      a.attnotnull as not_null, a.atthasdef as has_default,
      exists (select 1 from pg_catalog.pg_depend d
        join pg_catalog.pg_class s on s.oid = d.objid and s.relkind = 'S'
        where d.classid = 'pg_catalog.pg_class'::regclass and d.refclassid = 'pg_catalog.pg_class'::regclass
          and d.refobjid = a.attrelid and d.refobjsubid = a.attnum and d.deptype in ('a', 'i')) as auto_incrementing,
      col_description(a.attrelid, a.attnum) as column_description
    from pg_catalog.pg_attribute a
    join pg_catalog.pg_class c on c.oid = a.attrelid
    join pg_catalog.pg_namespace ns on ns.oid = c.relnamespace
    join pg_catalog.pg_type typ on typ.oid = a.atttypid
    join pg_catalog.pg_namespace dtns on dtns.oid = typ.typnamespace
    where ns.nspname = current_schema() and c.relkind in ('r', 'v', 'p')
      and a.attnum >= 0 and not a.attisdropped ${internalTables}
    order by c.relname, a.attnum`.execute(db)
}

function tablesOf(rows: readonly ColumnRow[]): TableMetadata[] {
  const tables = new Map<string, TableMetadata>()
  for (const row of rows) {
    let table = tables.get(row.table)
    if (!table) {
      table = { name: row.table, schema: row.schema, isView: row.table_type === 'v', columns: [] }
      tables.set(row.table, table)
    }
    table.columns.push({
      name: row.column,
      dataType: row.type,
      dataTypeSchema: row.type_schema,
      isNullable: !row.not_null,
      hasDefaultValue: row.has_default,
      isAutoIncrementing: row.auto_incrementing,
      ...(row.column_description === null ? {} : { comment: row.column_description }),
    })
  }
  return [...tables.values()]
}
