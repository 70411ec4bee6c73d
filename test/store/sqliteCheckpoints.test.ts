import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import SQLite from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/store/database.js'
import { BACKSTOP_PAGES, startBackgroundCheckpoints } from '../../src/store/sqliteCheckpoints.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tagbase-checkpoints-'))
  dirs.push(dir)
  return join(dir, 'db.sqlite')
}

/** ~8 MB of rows in one transaction: far past SQLite's default 1000 pages, far below the backstop. */
function writeRows(connection: SQLite.Database): void {
  connection.exec('create table t (n integer primary key, filler text)')
  const insert = connection.prepare('insert into t (filler) values (?)')
  connection.transaction(() => {
    for (let i = 0; i < 2000; i++) insert.run('x'.repeat(4000))
  })()
}

async function eventually(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

describe('SQLite checkpoints in a thread of their own', () => {
  it('copies committed WAL pages into the database file without the writer checkpointing', async () => {
    const file = tempFile()
    const writer = new SQLite(file)
    writer.pragma('journal_mode = WAL')
    writer.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`)
    const checkpoints = startBackgroundCheckpoints(file, 20)
    try {
      writeRows(writer)
      // The writer's commit copied nothing: the pages are in the WAL only until the thread runs.
      await eventually(() => statSync(file).size > 8_000_000)
    } finally {
      await checkpoints.stop()
      writer.close()
    }
  })

  it('leaves the WAL to SQLite when nothing runs them (the backstop case: the file stays small)', async () => {
    const file = tempFile()
    const writer = new SQLite(file)
    writer.pragma('journal_mode = WAL')
    writer.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`)
    writeRows(writer)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(statSync(file).size).toBeLessThan(1_000_000)
    writer.close()
  })

  it('a reader pinning the WAL holds checkpoints back without failing the writer; they catch up once it ends', async () => {
    const file = tempFile()
    const writer = new SQLite(file)
    writer.pragma('journal_mode = WAL')
    writer.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`)
    writer.exec('create table t (n integer primary key, filler text)')
    const checkpoints = startBackgroundCheckpoints(file, 20)
    // A reader holding a snapshot from before the writes: no checkpoint may copy past it.
    const reader = new SQLite(file, { readonly: true })
    reader.exec('begin')
    expect(reader.prepare('select count(*) as n from t').get()).toEqual({ n: 0 })
    try {
      const insert = writer.prepare('insert into t (filler) values (?)')
      writer.transaction(() => {
        for (let i = 0; i < 2000; i++) insert.run('x'.repeat(4000))
      })()
      await new Promise((resolve) => setTimeout(resolve, 200))
      expect(statSync(file).size).toBeLessThan(1_000_000)
      expect(reader.prepare('select count(*) as n from t').get()).toEqual({ n: 0 })
      reader.exec('commit')
      await eventually(() => statSync(file).size > 8_000_000)
    } finally {
      reader.close()
      await checkpoints.stop()
      writer.close()
    }
  })

  it('is stopped by closing the database, which then removes the WAL as the last connection', async () => {
    const file = tempFile()
    const database = openDatabase(`sqlite:${file}`)
    await database.kysely.schema.createTable('t').addColumn('n', 'integer').execute()
    await database.close()
    expect(existsSync(`${file}-wal`)).toBe(false)
  })
})
