#!/usr/bin/env node
import { Command, CommanderError } from 'commander'
import { registerActivityCommands } from './cli/activities.js'
import { registerAdminCommands } from './cli/admin.js'
import { registerBackupCommand } from './cli/backup.js'
import { loadEnvFile } from './cli/envFile.js'
import { registerImportCommand } from './cli/import.js'
import { registerOperatorCommands } from './cli/operator.js'
import { registerProcessCommands } from './cli/processes.js'
import { EXIT, requireKnownLocations, UsageError } from './cli/runtime.js'
import { registerWebhookCommands } from './cli/webhooks.js'
import { TAGBASE_VERSION } from './version.js'

const program = new Command()
  .name('tagbase')
  .description('Contacts-tagging service speaking the HighLevel and Constant Contact tagging APIs')
  .version(TAGBASE_VERSION, '-V, --version', 'print the version')
  .option('--json', 'print results as JSON (for scripts)')
  .showHelpAfterError()
  .addHelpText(
    'after',
    `
Settings are environment variables (or ./.env, or the file TAGBASE_ENV_FILE names); the main ones:
  DATABASE_URL  sqlite:./data/tagbase.db (default) or postgres://user@host:5432/db
  PORT, HOST    where tagbase serve listens (8080, 0.0.0.0)
  REDIS_URL     shares rate limits between processes
.env.example lists every setting with its default.

Examples:
  tagbase serve                                        # API, workers and dashboard on :8080
  tagbase --json location create --name Acme
  tagbase --json token create --location <LOC>
  tagbase import contacts.csv --location <LOC>
  tagbase tag add --location <LOC> --tags vip --all    # follows the activity to its end
  tagbase activity results --location <LOC> --id <ACTIVITY> --format csv > results.csv`,
  )
  // Usage mistakes (unknown option, missing argument) exit 2; failed work exits 1.
  .exitOverride()

requireKnownLocations(program)
registerProcessCommands(program)
registerAdminCommands(program)
registerActivityCommands(program)
registerImportCommand(program)
registerWebhookCommands(program)
registerOperatorCommands(program)
registerBackupCommand(program)

function failed(error: unknown): never {
  process.stderr.write(`tagbase: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(error instanceof UsageError ? EXIT.usage : EXIT.failed)
}

try {
  loadEnvFile()
} catch (error) {
  failed(error)
}

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof CommanderError) {
    // Commander has printed the problem (or the help/version it was asked for).
    process.exit(error.exitCode === 0 ? EXIT.ok : EXIT.usage)
  }
  failed(error)
})
