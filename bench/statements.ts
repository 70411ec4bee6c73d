/**
 * Statement building benchmark (not a test): the CPU a small bulk request's statements cost in
 * this process before anything is sent, measured against a driver that sends nothing.
 *
 *   plain:         the statement built with Kysely's builder and compiled, as before compiledOnce
 *                  (and as a statement whose SQL depends on its values still is).
 *   compiled once: the same statement through compiledOnce (src/store/compiledOnce.ts): its SQL
 *                  compiled on the first call, each later call only binding its values.
 *   template:      for reference, a `sql` template binding the same values, compiled per call.
 *
 * speed-up = plain / compiled once, same run.
 *
 *   npm run bench:statements [-- --contacts 10 --runs 20000]
 */
import { parseArgs } from 'node:util'
import {
  type CompiledQuery,
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  sql,
} from 'kysely'
import { newFirebaseId } from '../src/domain/ids.js'
import {
  type LockValues,
  liveContactsLocked,
  lockingLiveContactIds,
  lockingLiveContactRows,
} from '../src/store/contacts.js'
import {
  readingTagsOfContacts,
  readingTagsOfContactsOnce,
  type TagsOfContactsValues,
} from '../src/store/contactTags.js'
import type { Db } from '../src/store/database.js'
import {
  type TouchLogAndQueueValues,
  tagUpdateStatementValues,
  touchingLoggingAndQueueing,
  touchingLoggingAndQueueingOnce,
} from '../src/store/events.js'
import type { Schema } from '../src/store/schema.js'
import { cpuMicrosecondsPer, table } from './measure.js'

const { values: args } = parseArgs({
  options: {
    contacts: { type: 'string', default: '10' },
    runs: { type: 'string', default: '20000' },
  },
})
const CONTACTS = Number(args.contacts)
const RUNS = Number(args.runs)

const db: Db = {
  dialect: 'postgres',
  kysely: new Kysely<Schema>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (k) => new PostgresIntrospector(k),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  }),
}

/** What a bulk request adding two tags to CONTACTS contacts binds. */
function touchValues(): TouchLogAndQueueValues {
  const contactIds = Array.from({ length: CONTACTS }, newFirebaseId)
  const updates = contactIds.map((contactId) => ({ contactId, tagsAdded: ['a', 'b'], tagsRemoved: [] }))
  return tagUpdateStatementValues(
    newFirebaseId(),
    updates,
    { source: 'highlevel.bulk' },
    new Date().toISOString(),
  )
}

/** Microseconds of CPU per call (bench/measure.ts). */
function microsecondsPer(call: () => unknown): number {
  return cpuMicrosecondsPer(call, RUNS)
}

/** What a bulk request over CONTACTS contacts binds to lock them. */
function lockValues(): LockValues {
  const ids = Array.from({ length: CONTACTS }, newFirebaseId)
  const sorted = [...ids].sort()
  return { locationId: newFirebaseId(), ids, first: sorted[0] as string, last: sorted.at(-1) as string }
}

/** The template for reference: a `sql` template binding the same values, compiled per call. */
function templateOf(parameters: readonly unknown[]): () => CompiledQuery {
  return () => sql`select ${sql.join(parameters.map((p) => sql.val(p)))}`.compile(db.kysely)
}

const touch = touchValues()
const lock = lockValues()
const tagsOf: TagsOfContactsValues = {
  locationId: lock.locationId,
  contactIds: lock.ids,
  first: lock.first,
  last: lock.last,
}
const statements: Array<{ name: string; plain: () => CompiledQuery; once: () => CompiledQuery }> = [
  {
    name: 'touch, events and deliveries',
    plain: () => touchingLoggingAndQueueing(db, touch).compile(),
    once: () => touchingLoggingAndQueueingOnce(db, touch),
  },
  {
    name: "the contacts' lock (ids)",
    plain: () => liveContactsLocked(db, lock).select('id').compile(),
    once: () => lockingLiveContactIds(db, lock),
  },
  {
    name: "the contacts' lock (whole rows)",
    plain: () => liveContactsLocked(db, lock).selectAll().compile(),
    once: () => lockingLiveContactRows(db, lock),
  },
  {
    name: "the contacts' tags",
    plain: () => readingTagsOfContacts(db, tagsOf).compile(),
    once: () => readingTagsOfContactsOnce(db, tagsOf),
  },
]

console.log(`statement benchmark: PostgreSQL, ${CONTACTS} contacts, ${RUNS} calls each`)
console.log(`node ${process.version}, ${new Date().toISOString()}\n`)
const rows = statements.map((statement) => {
  const parameters = statement.once().parameters
  const plain = microsecondsPer(statement.plain)
  const once = microsecondsPer(statement.once)
  const template = microsecondsPer(templateOf(parameters))
  return [
    statement.name,
    String(parameters.length),
    plain.toFixed(1),
    once.toFixed(1),
    template.toFixed(1),
    (plain / once).toFixed(1),
  ]
})
console.log(table(['statement', 'values', 'plain µs', 'once µs', 'template µs', 'speed-up'], rows))
console.log('\nspeed-up = plain / compiled once; CPU of this process per call, nothing is sent')
