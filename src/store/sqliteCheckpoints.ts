import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'

/**
 * SQLite copies the WAL back into the database file (a checkpoint, with an fsync of each) on the
 * commit that makes the WAL pass `wal_autocheckpoint` pages. That commit is the process's only
 * thread blocked for 5–40 ms: under small bulk requests checkpoints were 58% of all commit time
 * and made the p99. So a thread of its own, with its own connection, checkpoints every
 * `intervalMs` in PASSIVE mode (it never waits for, nor blocks, readers and the writer), and the
 * writer's automatic checkpoint stays as a backstop at `BACKSTOP_PAGES` should this thread stall.
 *
 * The thread does not keep the process alive, and `stop()` ends it (on database close).
 */
export const BACKGROUND_CHECKPOINT_INTERVAL_MS = 100
export const BACKSTOP_PAGES = 20_000

const CHECKPOINTER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads')
const SQLite = require(workerData.driverPath)
const connection = new SQLite(workerData.filename)
const timer = setInterval(() => {
  try {
    connection.pragma('wal_checkpoint(PASSIVE)')
  } catch {
    // Busy or locked: the next tick tries again; the writer's backstop bounds the WAL meanwhile.
  }
}, workerData.intervalMs)
parentPort.on('message', () => {
  clearInterval(timer)
  connection.close()
  parentPort.close()
})
`

export type BackgroundCheckpoints = { stop(): Promise<void> }

export function startBackgroundCheckpoints(
  filename: string,
  intervalMs = BACKGROUND_CHECKPOINT_INTERVAL_MS,
): BackgroundCheckpoints {
  const driverPath = createRequire(import.meta.url).resolve('better-sqlite3')
  const worker = new Worker(CHECKPOINTER_SOURCE, {
    eval: true,
    workerData: { filename, driverPath, intervalMs },
  })
  worker.unref()
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
  worker.on('error', () => {})
  return {
    async stop() {
      // Held by the process again until it has closed its connection, or an exiting process
      // whose last task is this wait would end before the caller's next step.
      worker.ref()
      worker.postMessage('stop')
      await exited
    },
  }
}
