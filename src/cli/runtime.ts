import type { Command } from 'commander'
import { loadConfig } from '../config.js'
import { type Database, openDatabase } from '../store/database.js'
import { findLocation } from '../store/locations.js'
import { migrateToLatest } from '../store/migrate.js'

/** Exit codes: 0 done, 1 the work failed (or was refused), 2 the command line was wrong. */
export const EXIT = Object.freeze({ ok: 0, failed: 1, usage: 2 } as const)

/** A command line that cannot be run as given (found after parsing): exit 2 with the message. */
export class UsageError extends Error {}

/**
 * Opens the configured database with the schema brought up to date. Migrations run on a handle of
 * their own without statement time limits (a migration of a big table may take minutes); the
 * returned handle has the configured limits, and reports dropped connections to `onConnectionError`.
 */
export async function openMigrated(onConnectionError?: (error: Error) => void): Promise<Database> {
  const config = loadConfig()
  const migrating = openDatabase(config.databaseUrl, { timeouts: { queryMs: 0 } })
  try {
    await migrateToLatest(migrating)
  } finally {
    await migrating.close()
  }
  return openDatabase(config.databaseUrl, {
    timeouts: config.databaseTimeouts,
    preparedStatements: config.databasePreparedStatements,
    ...(onConnectionError ? { onConnectionError } : {}),
  })
}

export async function withDatabase<T>(work: (database: Database) => Promise<T>): Promise<T> {
  const database = await openMigrated()
  try {
    return await work(database)
  } finally {
    await database.close()
  }
}

/** Whether the user asked for JSON (`tagbase --json …`), for scripts. */
export function wantsJson(command: Command): boolean {
  return Boolean(command.optsWithGlobals().json)
}

/**
 * Prints a result: JSON with `--json`, otherwise readable text — `key: value` lines for one
 * record, aligned columns for a list.
 */
export function print(command: Command, value: unknown): void {
  if (wantsJson(command)) {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
    return
  }
  process.stdout.write(`${Array.isArray(value) ? table(value) : record(value)}\n`)
}

function text(value: unknown): string {
  if (value === null || value === undefined) return '-'
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

/** Items of a list shown before "… N more": the rest is one `--json` away. */
const LIST_CAP = 10

/** An object on one line as `key value, key value`. */
function inline(item: unknown): string {
  if (typeof item !== 'object' || item === null) return text(item)
  return Object.entries(item)
    .map(([k, v]) => `${k} ${text(v)}`)
    .join(', ')
}

/** A list value: scalars joined, objects one per indented line; capped, with the total. */
function listValue(values: readonly unknown[], indent: string): string {
  if (values.length === 0) return '-'
  const more = values.length > LIST_CAP ? values.length - LIST_CAP : 0
  const shown = values.slice(0, LIST_CAP)
  if (!shown.some((v) => typeof v === 'object' && v !== null))
    return `${shown.map(text).join(', ')}${more ? `, … ${more} more (${values.length} in all; --json lists all)` : ''}`
  const lines = shown.map((v) => `${indent}- ${inline(v)}`)
  if (more) lines.push(`${indent}… ${more} more (--json lists all)`)
  return `${values.length} in all\n${lines.join('\n')}`
}

function record(value: unknown): string {
  if (typeof value !== 'object' || value === null) return text(value)
  const entries = Object.entries(value)
  const width = Math.max(...entries.map(([k]) => k.length))
  return entries
    .map(([k, v]) => `${k.padEnd(width)}  ${Array.isArray(v) ? listValue(v, '  ') : text(v)}`)
    .join('\n')
}

/** A table cell stays one line: a list of scalars joined (capped), anything larger counted. */
function cellText(value: unknown): string {
  if (!Array.isArray(value)) return typeof value === 'object' && value !== null ? inline(value) : text(value)
  if (value.some((v) => typeof v === 'object' && v !== null)) return `${value.length} items`
  return listValue(value, '')
}

function table(rows: unknown[]): string {
  if (rows.length === 0) return '(none)'
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r as object)))]
  const cells = rows.map((r) => columns.map((c) => cellText((r as Record<string, unknown>)[c])))
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => (row[i] as string).length)))
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd()
  return [line(columns), ...cells.map(line)].join('\n')
}

/**
 * Every command given `--location` first checks that the location exists, so a mistyped id
 * answers "location X does not exist" (exit 1) instead of a constraint error, or an empty
 * listing that looks like success.
 */
export function requireKnownLocations(program: Command): void {
  program.hook('preAction', async (_program, action) => {
    const locationId = action.opts().location
    if (typeof locationId !== 'string') return
    const exists = await withDatabase(
      async (database) => (await findLocation(database, locationId)) !== undefined,
    )
    if (!exists) throw new Error(`location ${locationId} does not exist`)
  })
}
