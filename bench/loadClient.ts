/**
 * A load generator for the request benchmarks, run as its own process so the server it measures
 * has the bench process to itself. Reads its plan as JSON on stdin, prints its result as JSON on
 * stdout.
 *
 * Each of `clients` keeps one request in flight on its own keep-alive connection, sending its own
 * bodies in turn, its share of `requests`. Every answer must have `status`.
 * `warmupRequests` are sent the same way first and not counted: a fresh process's JIT (this one's
 * and the server's code paths) made a short run of a bare route look 2-3x slower than it is.
 */
import { Pool } from 'undici'

export type LoadPlan = {
  origin: string
  headers: Record<string, string>
  /** One list of requests per client, sent in turn (a client's requests touch only its own rows). */
  requestsPerClient: Array<Array<{ path: string; body: string }>>
  requests: number
  /** Sent first, the same way, and left out of the result. */
  warmupRequests: number
  /** Every answer must have this status; the run fails otherwise. */
  status: number
}

export type LoadResult = { requests: number; seconds: number; latenciesMs: number[] }

async function runPlan(plan: LoadPlan): Promise<LoadResult> {
  const clients = plan.requestsPerClient.length
  const pool = new Pool(plan.origin, { connections: clients, pipelining: 1 })
  await sendAll(pool, plan, plan.warmupRequests)
  const result = await sendAll(pool, plan, plan.requests)
  await pool.close()
  return result
}

/** Each client sends exactly its share, so a share of whole rounds leaves its rows as they began. */
async function sendAll(pool: Pool, plan: LoadPlan, requests: number): Promise<LoadResult> {
  const share = Math.ceil(requests / plan.requestsPerClient.length)
  const latenciesMs: number[] = []
  const started = performance.now()
  await Promise.all(
    plan.requestsPerClient.map(async (bodies) => {
      for (let i = 0; i < share; i++) {
        const { path, body } = bodies[i % bodies.length] as { path: string; body: string }
        const sent = performance.now()
        const response = await pool.request({ method: 'POST', path, headers: plan.headers, body })
        const text = await response.body.text()
        latenciesMs.push(performance.now() - sent)
        if (response.statusCode !== plan.status)
          throw new Error(`expected ${plan.status}, got ${response.statusCode}: ${text.slice(0, 300)}`)
      }
    }),
  )
  const seconds = (performance.now() - started) / 1000
  return { requests: latenciesMs.length, seconds, latenciesMs }
}

let input = ''
for await (const chunk of process.stdin) input += chunk
process.stdout.write(JSON.stringify(await runPlan(JSON.parse(input) as LoadPlan)))
