/**
 * Preloaded (`node --import`) into a process a benchmark starts, so the benchmark can count what
 * that process spent once it has exited (/proc has nothing left of it by then): on exit, its CPU
 * seconds and peak RSS are written as JSON to TAGBASE_BENCH_USAGE_FILE.
 */
import { writeFileSync } from 'node:fs'

const file = process.env.TAGBASE_BENCH_USAGE_FILE
if (file)
  process.on('exit', () => {
    const usage = process.resourceUsage()
    writeFileSync(
      file,
      JSON.stringify({
        cpuS: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
        peakRssMb: usage.maxRSS / 1024,
      }),
    )
  })
