import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import type { Command } from 'commander'
import { parse } from 'csv-parse'
import { type ImportRecord, importContacts } from '../services/importContacts.js'
import { findLocation } from '../store/locations.js'
import { ProgressReporter } from './progress.js'
import { EXIT, print, UsageError, withDatabase } from './runtime.js'

/**
 * The records of a CSV file, header first, streamed (any size), each with its line number. A
 * malformed record (unbalanced quotes, wrong column count) comes through as unreadable, as soon
 * as the parser has met it (it reads ahead of the records handed out).
 */
async function* csvRecords(path: string, onBytes: (bytes: number) => void): AsyncGenerator<ImportRecord> {
  const parser = createReadStream(path).pipe(
    parse({
      bom: true,
      info: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      relax_quotes: false,
    }),
  )
  const skipped: ImportRecord[] = []
  parser.on('skip', (error: Error & { lines?: number }) =>
    skipped.push({ line: error.lines ?? 0, unreadable: malformedReason(error.message) }),
  )
  for await (const { record, info } of parser as AsyncIterable<{
    record: string[]
    info: { lines: number; bytes: number }
  }>) {
    onBytes(info.bytes)
    yield* skipped.splice(0)
    yield { line: info.lines, values: record }
  }
  yield* skipped.splice(0)
}

/** csv-parse's wording, said the way the rest of the report says things. */
function malformedReason(message: string): string {
  const counts = /expect (\d+), got (\d+)/.exec(message)
  if (counts) return `the row has ${counts[2]} columns, the header ${counts[1]}`
  return `unreadable row: ${message.replace(/ on line \d+$/, '')}`
}

/** `import FILE.csv --location ID`. */
export function registerImportCommand(program: Command): void {
  program
    .command('import')
    .description('import contacts from a CSV file (header row; email or phone per row; tags separated by ;)')
    .argument('<file>', 'CSV file')
    .requiredOption('--location <id>', 'location to import into')
    .action(async (file: string, options: { location: string }, command: Command) => {
      const size = await stat(file).then(
        (s) => s.size,
        () => {
          throw new UsageError(`cannot read ${file}`)
        },
      )
      const summary = await withDatabase(async (database) => {
        if (!(await findLocation(database, options.location)))
          throw new Error(`location ${options.location} does not exist`)
        const progress = new ProgressReporter()
        let bytes = 0
        const records = csvRecords(file, (read) => {
          bytes = read
        })
        const result = await importContacts(database, options.location, records, (s) =>
          progress.update({
            done: s.created + s.updated + s.rejectedCount,
            total: size,
            unit: 'rows',
            share: size > 0 ? bytes / size : 1,
          }),
        )
        progress.finish()
        if (!result.headerRead) throw new UsageError(`${file} is empty`)
        return {
          created: result.created,
          updated: result.updated,
          rejected: result.rejectedCount,
          ignoredColumns: result.ignoredColumns,
          rejectedRows: result.rejected,
        }
      })
      print(command, summary)
      if (summary.rejected > 0) process.exitCode = EXIT.failed
    })
}
