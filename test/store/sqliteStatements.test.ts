import SQLite from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { reusingPreparedStatements } from '../../src/store/sqliteStatements.js'

describe('SQLite prepared statements reused by their text', () => {
  it('prepares a statement once, and again only after it was evicted', () => {
    const connection = new SQLite(':memory:')
    const db = reusingPreparedStatements(connection, 2)
    const first = db.prepare('select 1 as n')
    expect(db.prepare('select 1 as n')).toBe(first)
    db.prepare('select 2 as n')
    db.prepare('select 1 as n') // most recently used again: 'select 2' is the oldest now
    db.prepare('select 3 as n')
    expect(db.prepare('select 1 as n')).toBe(first)
    expect(db.prepare('select 1 as n').all([])).toEqual([{ n: 1 }])
    db.close()
  })

  it('gives a statement still being iterated a fresh twin, so both reads finish', () => {
    const connection = new SQLite(':memory:')
    connection.exec('create table t (n integer); insert into t values (1), (2), (3)')
    const db = reusingPreparedStatements(connection)
    const sql = 'select n from t order by n'
    const iterating = db.prepare(sql).iterate([])
    const first = iterating.next()
    expect(db.prepare(sql).all([])).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }])
    expect([first.value, ...iterating]).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }])
    db.close()
  })
})

describe('SQLite rows made into objects from arrays', () => {
  it('answers rows as the objects better-sqlite3 makes: values, types, column order, repeated names', () => {
    const connection = new SQLite(':memory:')
    connection.exec(`
      create table t (id integer primary key, name text, score real, data blob, note text);
      insert into t values (1, 'a', 1.5, x'0102', null), (2, 'b"c', -0.25, null, 'x'), (3, '', 0, x'', '{}')`)
    const db = reusingPreparedStatements(connection)
    for (const sql of [
      'select * from t order by id',
      'select note, id, name from t order by id desc',
      'select id, name as id, score from t',
      `select count(*), max(score) as "max score", 'quoted' as "a ""quoted"" name" from t`,
      'select * from t where id > 9',
    ]) {
      const ours = db.prepare(sql).all([])
      const native = connection.prepare(sql).all()
      expect(ours).toEqual(native)
      expect(ours.map((row) => Object.keys(row as object))).toEqual(
        native.map((row) => Object.keys(row as object)),
      )
    }
    db.close()
  })

  it("keeps a column named __proto__ as a property, never as the row's prototype", () => {
    const db = reusingPreparedStatements(new SQLite(':memory:'))
    const [row] = db.prepare(`select 1 as "__proto__", 2 as "constructor"`).all([]) as Array<
      Record<string, unknown>
    >
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype)
    expect(Object.getOwnPropertyDescriptor(row, '__proto__')?.value).toBe(1)
    expect(row?.constructor).toBe(2)
    db.close()
  })

  it('streams rows as objects, and writes answer their changes and last rowid', () => {
    const connection = new SQLite(':memory:')
    connection.exec('create table t (id integer primary key, name text)')
    const db = reusingPreparedStatements(connection)
    const insert = db.prepare('insert into t (name) values (?)')
    expect(insert.reader).toBe(false)
    expect(insert.run(['a'])).toEqual({ changes: 1, lastInsertRowid: 1 })
    expect(db.prepare('insert into t (name) values (?) returning id, name').all(['b'])).toEqual([
      { id: 2, name: 'b' },
    ])
    expect([...db.prepare('select name, id from t order by id').iterate([])]).toEqual([
      { name: 'a', id: 1 },
      { name: 'b', id: 2 },
    ])
    db.close()
  })
})
