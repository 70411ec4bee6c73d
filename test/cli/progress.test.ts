import { describe, expect, it } from 'vitest'
import { fittedLine, formatDuration, PLAIN_EVERY_MS, ProgressReporter } from '../../src/cli/progress.js'

function fakeStream(isTTY: boolean, columns = 80) {
  const writes: string[] = []
  return { writes, stream: { isTTY, columns, write: (s: string) => writes.push(s) > 0 } }
}

describe('command-line progress', () => {
  it('tells durations as people read them, never a broken unit', () => {
    expect(formatDuration(7)).toBe('7s')
    expect(formatDuration(65)).toBe('1m 05s')
    expect(formatDuration(7380)).toBe('2h 03m')
    expect(formatDuration(Number.NaN)).toBe('-')
    expect(formatDuration(-1)).toBe('-')
  })

  it('fits the terminal: drops the bar, then the rate, before it would wrap', () => {
    const p = { done: 1234, total: 5000, unit: 'contacts' }
    const wide = fittedLine(p, 2, 120)
    expect(wide).toMatch(/^\[#+\.+\] +24% +1,234\/5,000 contacts +617\/s +ETA \d+s$/)
    for (const width of [60, 40, 25, 12]) {
      const line = fittedLine(p, 2, width)
      expect(line.length, line).toBeLessThanOrEqual(width)
    }
    expect(fittedLine(p, 2, 40)).not.toContain('[')
    expect(fittedLine({ done: 0, total: null, unit: 'contacts' }, 1, 80)).toContain('waiting to start')
  })

  it('redraws one cleared line on a terminal and ends it', () => {
    let now = 0
    const { writes, stream } = fakeStream(true, 50)
    const progress = new ProgressReporter(stream, () => now)
    for (let i = 1; i <= 5; i++) {
      now += 200
      progress.update({ done: i * 10, total: 50, unit: 'contacts' })
    }
    progress.finish()
    expect(writes.at(-1)).toBe('\n')
    for (const line of writes.slice(0, -1)) {
      expect(line.startsWith('\r')).toBe(true)
      expect(line.endsWith('\x1b[K')).toBe(true)
      expect(line.length - 4).toBeLessThanOrEqual(49)
    }
  })

  it('prints a plain line every few seconds when not on a terminal, and the last state at the end', () => {
    let now = 0
    const { writes, stream } = fakeStream(false)
    const progress = new ProgressReporter(stream, () => now)
    progress.update({ done: 1, total: 100, unit: 'rows' })
    expect(writes).toEqual([])
    now = PLAIN_EVERY_MS + 1
    progress.update({ done: 40, total: 100, unit: 'rows' })
    now += 1000
    progress.update({ done: 60, total: 100, unit: 'rows' })
    now += 1000
    progress.update({ done: 100, total: 100, unit: 'rows' })
    progress.finish()
    expect(writes).toHaveLength(2)
    expect(writes[0]).toMatch(/^progress: 40%, 40\/100 rows, \d+\/s, ETA \d+s\n$/)
    expect(writes[1]).toMatch(/^progress: 100%, 100\/100 rows, \d+\/s, ETA -\n$/)
    expect(writes.join('')).not.toContain('\r')
  })
})
