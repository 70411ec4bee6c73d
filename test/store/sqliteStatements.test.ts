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
