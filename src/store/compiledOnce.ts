import { type Compilable, type CompiledQuery, createQueryId } from 'kysely'
import type { Db, DialectName } from './database.js'

/**
 * Stands for one of a statement's values while compiledOnce builds it: Kysely binds it as a
 * parameter like any value, and each run puts the caller's value (through `derive`, what the
 * builder binds in its place: a JSON text, one column of rows) in that parameter's place.
 */
export class BoundLater {
  constructor(
    readonly name: string,
    readonly derive: (value: never) => unknown = (value) => value,
  ) {}

  /** A builder that would turn the value into text (JSON, a template string) fails at once. */
  toJSON(): never {
    throw new Error(`${this.name} is bound later: derive what is bound from it with derived()`)
  }

  [Symbol.toPrimitive](): never {
    return this.toJSON()
  }
}

/**
 * What a builder binds for `value`: `derive(value)`, or, while compiledOnce builds the statement,
 * a BoundLater that derives it on each run. The helpers that bind something computed from their
 * input (isOneOf, rowsAsTable) go through this, so statements made of them can be compiled once.
 */
export function derived<T, R>(value: T, derive: (value: T) => R): R {
  if (!(value instanceof BoundLater)) return derive(value)
  const earlier = value.derive as (value: unknown) => T
  return new BoundLater(value.name, (v: never) => derive(earlier(v))) as R
}

/**
 * A statement built and compiled once per engine and then only given new values: Kysely builds
 * and compiles a query on every call (a small bulk request's touch, events and deliveries
 * statement took ~110-120 µs of CPU on PostgreSQL, compiled once ~2 µs: npm run bench:statements).
 *
 * `build` must make the same SQL for every `values` it is run with, so it may only bind them
 * (directly, or through `derived`), never choose on them; a caller whose values would change the
 * SQL (an empty list) builds the plain statement instead. test/store/compiledOnce.test.ts holds
 * each such statement to the plain build's SQL and parameters.
 */
export function compiledOnce<V extends Record<string, unknown>, O>(
  build: (db: Db, values: V) => Compilable<O>,
): (db: Db, values: V) => CompiledQuery<O> {
  const compiled = new Map<
    DialectName,
    { template: CompiledQuery<O>; slots: Array<BoundLater | undefined> }
  >()
  return (db, values) => {
    let entry = compiled.get(db.dialect)
    if (entry === undefined) {
      const placeholders = Object.fromEntries(Object.keys(values).map((name) => [name, new BoundLater(name)]))
      const template = build(db, placeholders as V).compile()
      const slots = template.parameters.map((p) => (p instanceof BoundLater ? p : undefined))
      entry = { template, slots }
      compiled.set(db.dialect, entry)
    }
    const { template, slots } = entry
    return {
      query: template.query,
      queryId: createQueryId(),
      sql: template.sql,
      parameters: template.parameters.map((parameter, i) => {
        const slot = slots[i]
        return slot === undefined ? parameter : slot.derive(values[slot.name] as never)
      }),
    }
  }
}
