import { execFile, spawn } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { TestDatabase } from './databases.js'

const run = promisify(execFile)
export const ROOT = join(import.meta.dirname, '../..')
/** `tagbase` from source, as `npx tagbase` runs the build. */
export const CLI = ['--import', 'tsx', join(ROOT, 'src/cli.ts')]

/**
 * A hang guard for tests that run `tagbase` commands one after another: each is a Node process
 * (about 0.7 CPU-seconds through tsx), and on two cores shared with the crash and fault suites one
 * took up to 7 s in CI, so a test running a dozen of them needs more than the default minute.
 */
export const CLI_TEST_TIMEOUT_MS = 180_000

/** The environment a user would give `tagbase` to work on the database behind `db`. */
export function cliEnv(db: TestDatabase, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  // A PostgreSQL test schema is reached through the connection's search_path option.
  const url = db.searchPath
    ? `${db.url}?options=${encodeURIComponent(`-c search_path=${db.searchPath}`)}`
    : db.url
  // The tests' webhook receivers listen on loopback.
  return {
    ...process.env,
    DATABASE_URL: url,
    LOG_LEVEL: 'warn',
    WEBHOOK_ALLOW_INTERNAL_TARGETS: 'on',
    ...extra,
  }
}

/** Runs one `tagbase --json` command and parses the JSON it prints. */
export async function tagbase(db: TestDatabase, ...args: string[]) {
  const { stdout } = await run(process.execPath, [...CLI, '--json', ...args], { cwd: ROOT, env: cliEnv(db) })
  return JSON.parse(stdout)
}

/** Runs one `tagbase` command to its end, whatever its exit code. */
export async function tagbaseExit(
  db: TestDatabase,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [...CLI, ...args], { cwd: ROOT, env: cliEnv(db) })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string }
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
  }
}

/** Runs one `tagbase` command and returns what it prints, as is. */
export async function tagbaseText(db: TestDatabase, ...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [...CLI, ...args], { cwd: ROOT, env: cliEnv(db) })
  return stdout
}

/** Starts a long-running `tagbase` command (serve, worker) with its stdout piped. */
export function spawnTagbase(db: TestDatabase, args: string[], env: Record<string, string> = {}) {
  return spawn(process.execPath, [...CLI, ...args], {
    cwd: ROOT,
    env: cliEnv(db, env),
    stdio: ['ignore', 'pipe', 'inherit'],
  })
}
