import { existsSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { loadConfig } from '../config.js'
import { copySqliteDatabase } from '../store/backup.js'
import { print, withDatabase } from './runtime.js'

/**
 * `backup FILE`: on SQLite a consistent copy made while the service runs; on PostgreSQL the
 * pg_dump command to run instead (its own tool does it better than we could: consistent snapshot,
 * parallel restore, and no second copy of the data through this process).
 */
export function registerBackupCommand(program: Command): void {
  program
    .command('backup')
    .description('copy the database while it runs (SQLite); on PostgreSQL, print the pg_dump command to use')
    .argument('<file>', 'the new backup file (must not exist)')
    .action((file: string, _options, command: Command) =>
      withDatabase(async (database) => {
        const target = resolve(file)
        if (database.dialect === 'postgres') {
          const url = loadConfig().databaseUrl
          print(command, {
            backup: 'not written: use pg_dump on PostgreSQL',
            command: `pg_dump --format=custom --file=${JSON.stringify(target)} ${JSON.stringify(url)}`,
            restore: `pg_restore --clean --if-exists --dbname=${JSON.stringify(url)} ${JSON.stringify(target)}`,
          })
          return
        }
        if (existsSync(target)) throw new Error(`${target} exists; a backup never overwrites a file`)
        await copySqliteDatabase(database, target)
        print(command, { backup: target, bytes: statSync(target).size })
      }),
    )
}
