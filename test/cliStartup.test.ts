/** What `tagbase` reads when it starts (a .env file) and what `serve` says once it listens. */
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { ROOT } from './helpers/cli.js'

const run = promisify(execFile)
/** `tagbase` from source, runnable from any directory (the tsx loader by its path). */
const CLI = [
  '--import',
  pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href,
  join(ROOT, 'src/cli.ts'),
]
const dir = mkdtempSync(join(tmpdir(), 'tagbase-envfile-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** The environment without any Tagbase setting, as a fresh shell has it. */
function bareEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...extra }
  return env
}

describe('settings from a .env file', () => {
  it('reads ./.env, and lets the environment win over it', async () => {
    writeFileSync(join(dir, '.env'), `DATABASE_URL=sqlite:${join(dir, 'from-file.db')}\nLOG_LEVEL=warn\n`)
    await run(process.execPath, [...CLI, '--json', 'location', 'create', '--name', 'A'], {
      cwd: dir,
      env: bareEnv(),
    })
    expect(existsSync(join(dir, 'from-file.db'))).toBe(true)
    await run(process.execPath, [...CLI, '--json', 'location', 'create', '--name', 'B'], {
      cwd: dir,
      env: bareEnv({ DATABASE_URL: `sqlite:${join(dir, 'from-env.db')}` }),
    })
    expect(existsSync(join(dir, 'from-env.db'))).toBe(true)
  })

  it('refuses a TAGBASE_ENV_FILE that does not exist (exit 1)', async () => {
    const failure = await run(process.execPath, [...CLI, 'location', 'list'], {
      cwd: dir,
      env: bareEnv({ TAGBASE_ENV_FILE: join(dir, 'missing.env') }),
    }).catch((error: { code: number; stderr: string }) => error)
    expect(failure).toMatchObject({ code: 1, stderr: expect.stringContaining('which does not exist') })
  })

  it('ships .env.example naming every setting the code reads, each also in the README table', () => {
    const read = new Set(
      [
        ...readFileSync(join(ROOT, 'src/config.ts'), 'utf8').matchAll(
          /\b(?:env\.|count\(')([A-Z][A-Z0-9_]+)/g,
        ),
      ].map((m) => m[1] as string),
    )
    expect(read.size).toBeGreaterThan(20)
    const example = readFileSync(join(ROOT, '.env.example'), 'utf8')
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
    for (const name of read) {
      expect(example, name).toMatch(new RegExp(`^(# )?${name}=`, 'm'))
      expect(readme, name).toContain(`\`${name}\``)
    }
  })
})

describe('the start-up line of tagbase serve (printed on a terminal)', () => {
  it('says where it serves, and the next step while there is no location', async () => {
    const { startupLine } = await import('../src/cli/longRunning.js')
    const { TAGBASE_VERSION } = await import('../src/version.js')
    expect(startupLine({ host: '0.0.0.0', port: 8080 }, true)).toBe(
      `Tagbase ${TAGBASE_VERSION} serving http://localhost:8080 (dashboard http://localhost:8080/, API docs http://localhost:8080/docs)\n`,
    )
    expect(startupLine({ host: '::1', port: 9000 }, false)).toContain(
      'http://[::1]:9000 (dashboard http://[::1]:9000/, API docs http://[::1]:9000/docs)\n  No location yet: tagbase location create',
    )
  })
})
