import { existsSync } from 'node:fs'

/**
 * Settings from a dotenv file, read before anything else: ./.env, or the file TAGBASE_ENV_FILE
 * names (which must exist). Variables already in the environment win, as with `node --env-file`.
 * Node's own reader (process.loadEnvFile, Node ≥ 20.12) parses it; returns the file read, if any.
 */
export function loadEnvFile(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const named = env.TAGBASE_ENV_FILE
  const path = named ?? '.env'
  if (!existsSync(path)) {
    if (named) throw new Error(`TAGBASE_ENV_FILE names ${named}, which does not exist`)
    return undefined
  }
  const load = (process as { loadEnvFile?: (path: string) => void }).loadEnvFile
  if (!load) throw new Error(`${path} needs Node 20.12 or later to be read (process.loadEnvFile)`)
  load(path)
  return path
}
