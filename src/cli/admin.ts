import { type Command, InvalidArgumentError } from 'commander'
import { parseScopeList, SCOPES, type Scope } from '../domain/scopes.js'
import {
  createAccessToken,
  createLocation,
  listAllLocations,
  listTokens,
  revokeToken,
} from '../services/admin.js'
import { print, withDatabase } from './runtime.js'

function scopesOption(raw: string): Scope[] {
  const { scopes, unknown } = parseScopeList(raw)
  if (unknown.length > 0)
    throw new InvalidArgumentError(`unknown scope(s) ${unknown.join(', ')}; known: ${SCOPES.join(', ')}`)
  if (scopes.length === 0) throw new InvalidArgumentError('name at least one scope')
  return scopes
}

/** `migrate`, `location create|list`, `token create|list|revoke`. */
export function registerAdminCommands(program: Command): void {
  program
    .command('migrate')
    .description('bring the database schema up to date')
    .action((_options, command: Command) => withDatabase(async () => print(command, { migrated: true })))

  const location = program.command('location').description('manage locations (tenants)')
  location
    .command('create')
    .requiredOption('--name <name>', 'display name')
    .option('--phone-country <code>', 'country phones without + are read in (ISO code; default US)')
    .action((options: { name: string; phoneCountry?: string }, command: Command) =>
      withDatabase(async (database) => {
        const row = await createLocation(
          database,
          options.name,
          options.phoneCountry ? { phoneCountry: options.phoneCountry } : {},
        )
        print(command, {
          id: row.id,
          name: row.name,
          phoneCountry: row.phone_country ?? 'US',
          createdAt: row.created_at,
        })
      }),
    )
  location
    .command('list')
    .description('every location, oldest first')
    .action((_options, command: Command) =>
      withDatabase(async (database) => {
        const rows = await listAllLocations(database)
        print(
          command,
          rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at })),
        )
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
  token
    .command('list')
    .description("a location's tokens (never their secrets), revoked ones included")
    .requiredOption('--location <id>', 'location')
    .action((options: { location: string }, command: Command) =>
      withDatabase(async (database) => print(command, await listTokens(database, options.location))),
    )
  token
    .command('revoke')
    .description('revoke a token: its next request is refused')
    .requiredOption('--location <id>', 'location the token acts for')
    .requiredOption('--id <tokenId>', 'token id (from token create or token list)')
    .action((options: { location: string; id: string }, command: Command) =>
      withDatabase(async (database) => {
        await revokeToken(database, options.location, options.id)
        print(command, { id: options.id, revoked: true })
      }),
    )
}
