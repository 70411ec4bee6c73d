import type { Command } from 'commander'
import { loadConfig } from '../config.js'
import { issueOperatorCredential } from '../services/operatorAccess.js'
import { print, withDatabase } from './runtime.js'

/** The origin a browser on this machine uses for the configured listener. */
export function listenerOrigin(config: { host: string; port: number } = loadConfig()): string {
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.port}`
}

export function dashboardLoginUrl(secret: string, config = loadConfig()): string {
  return `${listenerOrigin(config)}/dashboard/login?token=${encodeURIComponent(secret)}`
}

/** `operator token`: a new dashboard login (the previous operator tokens stop working). */
export function registerOperatorCommands(program: Command): void {
  const operator = program.command('operator').description("manage the operator's dashboard access")
  operator
    .command('token')
    .description(
      'issue a new operator token for the dashboard and print its login link; earlier operator tokens are revoked',
    )
    .action((_options, command: Command) =>
      withDatabase(async (database) => {
        const token = await issueOperatorCredential(database)
        print(command, { token, loginUrl: dashboardLoginUrl(token) })
      }),
    )
}
