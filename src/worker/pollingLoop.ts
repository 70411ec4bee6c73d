/**
 * Longest wait after failed iterations (an unavailable database): short enough that a worker
 * resumes within seconds of the database returning, long enough not to hammer it meanwhile.
 */
const MAX_FAILURE_BACKOFF_MS = 2000

/**
 * The loop of a worker: runs `iterate` until stopped; whenever an iteration found nothing to do,
 * waits `pollMs` or until `wake()`; after failures it backs off (pollMs doubled per failure in a
 * row, up to 2 s), and `wake()` does not cut that short. `stop()` returns once the iteration in flight
 * and `onStopped` have finished.
 */
export class PollingLoop {
  private stopRequested = false
  private loop: Promise<void> | undefined
  private wakeUp: (() => void) | undefined

  constructor(
    private readonly pollMs: number,
    private readonly iterate: () => Promise<boolean>,
    private readonly onError: (error: unknown) => void,
    private readonly onStopped: () => Promise<void> = async () => {},
  ) {}

  get stopping(): boolean {
    return this.stopRequested
  }

  start(): void {
    if (this.loop) return
    this.stopRequested = false
    this.loop = this.run()
  }

  async stop(): Promise<void> {
    this.stopRequested = true
    this.wake()
    await this.loop
    this.loop = undefined
  }

  /** Work arrived or a slot freed up: look now rather than after the poll interval. */
  wake(): void {
    this.wakeUp?.()
  }

  private async run(): Promise<void> {
    let failuresInARow = 0
    while (!this.stopRequested) {
      let worked = false
      try {
        worked = await this.iterate()
        failuresInARow = 0
      } catch (error) {
        failuresInARow++
        this.onError(error)
      }
      if (this.stopRequested) break
      if (failuresInARow > 0)
        await this.idle(Math.min(MAX_FAILURE_BACKOFF_MS, this.pollMs * 2 ** (failuresInARow - 1)), false)
      else if (!worked) await this.idle(this.pollMs, true)
    }
    await this.onStopped()
  }

  private idle(ms: number, wakeable: boolean): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms)
      function done() {
        clearTimeout(timer)
        resolve()
      }
      this.wakeUp = () => {
        if (!wakeable && !this.stopRequested) return
        this.wakeUp = undefined
        done()
      }
    })
  }
}
