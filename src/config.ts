/** Settings read from the environment; every one has a default that works on a fresh machine. */
export type Config = {
  port: number
  host: string
  databaseUrl: string
  logLevel: string
}

export const DEFAULT_DATABASE_URL = 'sqlite:./data/tagbase.db'

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = Number(env.PORT ?? 8080)
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`PORT must be a port number, got "${env.PORT}"`)
  return {
    port,
    host: env.HOST ?? '0.0.0.0',
    databaseUrl: env.DATABASE_URL ?? DEFAULT_DATABASE_URL,
    logLevel: env.LOG_LEVEL ?? 'info',
  }
}
