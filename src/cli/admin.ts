import { type Command, InvalidArgumentError } from 'commander'
import { parseScopeList, SCOPES, type Scope } from '../domain/scopes.js'
import { createAccessToken, createLocation } from '../services/admin.js'
import { print, withDatabase } from './runtime.js'

function scopesOption(raw: string): Scope[] {
  const { scopes, unknown } = parseScopeList(raw)
  if (unknown.length > 0)
    throw new InvalidArgumentError(`unknown scope(s) ${unknown.join(', ')}; known: ${SCOPES.join(', ')}`)
  if (scopes.length === 0) throw new InvalidArgumentError('name at least one scope')
  return scopes
}

/** `migrate`, `location create`, `token create`. */
export function registerAdminCommands(program: Command): void {
  program
    .command('migrate')
    .description('bring the database schema up to date')
    .action((_options, command: Command) => withDatabase(async () => print(command, { migrated: true })))

  const location = program.command('location').description('manage locations (tenants)')
  location
    .command('create')
    .requiredOption('--name <name>', 'display name')
    .action((options: { name: string }, command: Command) =>
      withDatabase(async (database) => {
        const row = await createLocation(database, options.name)
        print(command, { id: row.id, name: row.name, createdAt: row.created_at })
      }),
    )

  const token = program.command('token').description('manage access tokens')
  token
    .command('create')
    .requiredOption('--location <id>', 'location the token acts for')
    .option('--scopes <list>', `comma-separated scopes (${SCOPES.join(', ')})`, scopesOption, [...SCOPES])
    .option('--name <name>', 'label to recognise the token by', 'cli')
    .action((options: { location: string; scopes: Scope[]; name: string }, command: Command) =>
      withDatabase(async (database) => {
        print(command, await createAccessToken(database, options.location, options.scopes, options.name))
      }),
    )
}
