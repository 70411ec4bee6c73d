import type { ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { createServer } from 'node:net'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnTagbase } from '../helpers/cli.js'
import { createTestDatabase, POSTGRES_URL, type TestDatabase } from '../helpers/databases.js'

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

async function terminateBackends(applicationName: string): Promise<number> {
  const client = new pg.Client({ connectionString: POSTGRES_URL })
  await client.connect()
  try {
    const { rows } = await client.query(
      'select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1',
      [applicationName],
    )
    return rows.length
  } finally {
    await client.end()
  }
}

/** Collects a child's stdout and resolves when a line matches. */
function lineMatching(child: ChildProcess, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = ''
    const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} in:\n${seen}`)), timeoutMs)
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8')
      const line = seen.split('\n').find((l) => pattern.test(l))
      if (line) {
        clearTimeout(timer)
        resolve(line)
      }
    })
  })
}

/**
 * `tagbase serve` and `tagbase worker` as operators run them, on PostgreSQL whose server
 * terminates their connections (failover, idle reaper): they keep running and answering.
 */
describe('tagbase serve and worker when PostgreSQL terminates their connections', () => {
  let t: TestDatabase
  const children: ChildProcess[] = []
  const name = `tagbase-proc-${randomUUID().slice(0, 8)}`
  beforeAll(async () => {
    t = await createTestDatabase('postgres')
  })
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL')
    await t.drop()
  })

  it('survive terminated backends, and serve prints the dashboard login link once at first start', async () => {
    const port = await freePort()
    const env = (app: string) => ({
      DATABASE_URL: `${POSTGRES_URL}?application_name=${app}&options=${encodeURIComponent(`-c search_path=${t.searchPath}`)}`,
      PORT: String(port),
      HOST: '127.0.0.1',
    })
    const serve = spawnTagbase(t, ['serve'], env(name))
    const worker = spawnTagbase(t, ['worker'], { ...env(`${name}-worker`), PORT: '0' })
    children.push(serve, worker)
    const loginLine = await lineMatching(serve, /\/dashboard\/login\?token=/)
    const loginUrl = (loginLine.match(/http:\/\/\S+/) as RegExpMatchArray)[0]
    expect(loginUrl).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/dashboard/login\\?token=tbo-`))
    const base = `http://127.0.0.1:${port}`
    await expect
      .poll(async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.status, { timeout: 30_000 })
      .toBe(200)

    for (let round = 0; round < 3; round++) {
      expect(await terminateBackends(name)).toBeGreaterThan(0)
      await terminateBackends(`${name}-worker`)
      await new Promise((r) => setTimeout(r, 700))
      expect(serve.exitCode).toBeNull()
      expect(worker.exitCode).toBeNull()
      await expect.poll(async () => (await fetch(`${base}/readyz`)).status, { timeout: 5000 }).toBe(200)
    }
    const login = await fetch(loginUrl, { redirect: 'manual' })
    expect(login.status).toBe(303)

    serve.kill('SIGTERM')
    worker.kill('SIGTERM')
    const [[serveCode], [workerCode]] = await Promise.all([once(serve, 'exit'), once(worker, 'exit')])
    expect(serveCode).toBe(0)
    expect(workerCode).toBe(0)

    // A second start has a credential already: no new link (the secret is not stored to show again).
    const again = spawnTagbase(t, ['serve'], env(name))
    children.push(again)
    let printed = ''
    again.stdout?.on('data', (chunk: Buffer) => {
      printed += chunk.toString('utf8')
    })
    await expect
      .poll(async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.status, { timeout: 30_000 })
      .toBe(200)
    expect(printed).not.toContain('/dashboard/login')
    again.kill('SIGTERM')
    await once(again, 'exit')
  })
})
