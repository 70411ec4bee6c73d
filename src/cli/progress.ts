/**
 * Progress of a long command on stderr, as a progress library draws it: on a terminal one line
 * redrawn in place (cleared to its end, fitted to the terminal's width, dropping the bar and then
 * the rate before it would wrap); anywhere else (a pipe, a log file) a plain line every few
 * seconds, and a last one at the end, so a minute-long import is never silent.
 */

export type ProgressStream = Pick<NodeJS.WriteStream, 'write'> & { isTTY?: boolean; columns?: number }

export type Progress = {
  done: number
  /** null while the total is not known yet (an activity that has not started). */
  total: number | null
  /** What is counted: `contacts`, `rows`. */
  unit: string
  /** Share done when it is measured otherwise than done/total (bytes of a file read). */
  share?: number
}

const REDRAW_MS = 100
export const PLAIN_EVERY_MS = 5000
const BAR_WIDTH = 24

/** 7s, 1m 05s, 2h 03m; '-' when it cannot be told. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '-'
  const s = Math.ceil(seconds)
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}

function shareOf(p: Progress): number | null {
  if (p.share !== undefined) return Math.max(0, Math.min(1, p.share))
  if (p.total === null || p.total === 0) return null
  return Math.min(1, p.done / p.total)
}

/** The parts of a progress line, most important first (the count), for fitting. */
function parts(p: Progress, elapsedS: number): { count: string; percent: string; rate: string; eta: string } {
  const share = shareOf(p)
  const rate = elapsedS > 0 ? p.done / elapsedS : 0
  const etaS = share !== null && share > 0 && share < 1 ? (elapsedS / share) * (1 - share) : Number.NaN
  const count =
    p.total === null
      ? `waiting to start (${p.done.toLocaleString('en-US')} ${p.unit})`
      : p.share !== undefined
        ? `${p.done.toLocaleString('en-US')} ${p.unit}`
        : `${p.done.toLocaleString('en-US')}/${p.total.toLocaleString('en-US')} ${p.unit}`
  return {
    count,
    percent: share === null ? '' : `${Math.floor(share * 100)}%`,
    rate: `${Math.round(rate).toLocaleString('en-US')}/s`,
    eta: `ETA ${formatDuration(etaS)}`,
  }
}

/** The terminal line for `p`, at most `width` characters. */
export function fittedLine(p: Progress, elapsedS: number, width: number): string {
  const { count, percent, rate, eta } = parts(p, elapsedS)
  const share = shareOf(p)
  const filled = share === null ? 0 : Math.round(share * BAR_WIDTH)
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`
  const candidates = [
    [bar, percent.padStart(4), count, rate, eta],
    [percent.padStart(4), count, rate, eta],
    [percent.padStart(4), count, eta],
    [percent, count],
    [count],
  ]
  for (const candidate of candidates) {
    const line = candidate.filter((c) => c.trim().length > 0).join('  ')
    if (line.length <= width) return line
  }
  return count.slice(0, Math.max(0, width))
}

export class ProgressReporter {
  private readonly startedMs: number
  private lastDrawMs = Number.NEGATIVE_INFINITY
  private last: Progress | undefined
  private drew = false

  constructor(
    private readonly stream: ProgressStream = process.stderr,
    private readonly now: () => number = Date.now,
    private readonly plainEveryMs = PLAIN_EVERY_MS,
  ) {
    this.startedMs = now()
    // Nothing is printed at once when not on a terminal: the first plain line comes after the interval.
    if (!stream.isTTY) this.lastDrawMs = this.startedMs
  }

  update(progress: Progress): void {
    this.last = progress
    const at = this.now()
    const every = this.stream.isTTY ? REDRAW_MS : this.plainEveryMs
    if (at - this.lastDrawMs < every) return
    this.lastDrawMs = at
    this.draw(progress, at)
  }

  /** The final state, and the end of the redrawn line. */
  finish(): void {
    if (this.last) this.draw(this.last, this.now())
    if (this.stream.isTTY && this.drew) this.stream.write('\n')
  }

  private draw(progress: Progress, at: number): void {
    const elapsedS = (at - this.startedMs) / 1000
    if (this.stream.isTTY) {
      const width = Math.max(20, (this.stream.columns ?? 80) - 1)
      this.stream.write(`\r${fittedLine(progress, elapsedS, width)}\x1b[K`)
    } else {
      const { count, percent, rate, eta } = parts(progress, elapsedS)
      this.stream.write(`progress: ${[percent, count, rate, eta].filter(Boolean).join(', ')}\n`)
    }
    this.drew = true
  }
}
