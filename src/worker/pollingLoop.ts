/** A lock held until `expiresAt` by `owner`, stamped at `now` (ISO strings, as stored). */
export type TimedLease = { owner: string; now: string; expiresAt: string }

export function leaseFrom(owner: string, leaseMs: number, nowMs = Date.now()): TimedLease {
  return {
    owner,
    now: new Date(nowMs).toISOString(),
    expiresAt: new Date(nowMs + leaseMs).toISOString(),
  }
}

/**
 * The loop of a worker: runs `iterate` until stopped; whenever an iteration found nothing to do
 * (or failed), waits `pollMs` or until `wake()`. `stop()` returns once the iteration in flight
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
    while (!this.stopRequested) {
      let worked = false
      try {
        worked = await this.iterate()
      } catch (error) {
        this.onError(error)
      }
      if (!worked && !this.stopRequested) await this.idle()
    }
    await this.onStopped()
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.pollMs)
      function done() {
        clearTimeout(timer)
        resolve()
      }
      this.wakeUp = () => {
        this.wakeUp = undefined
        done()
      }
    })
  }
}
