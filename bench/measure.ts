/**
 * What every benchmark prints beside its rates: wall seconds, CPU seconds (this process, the
 * processes it names, and on PostgreSQL every server process: the database's work is part of the
 * cost), peak RSS, and on PostgreSQL the WAL written.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { sql } from 'kysely'
import type { Database } from '../src/store/database.js'

const CLOCK_TICKS_PER_SECOND = 100

/** utime + stime of one process, in seconds; 0 when it is gone. */
export function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name (which may hold spaces) start at ") ".
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND
  } catch {
    return 0
  }
}

/** CPU seconds so far of every PostgreSQL server process on this machine, by pid. */
export function postgresCpuByPid(): Map<number, number> {
  const byPid = new Map<number, number>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres')
        byPid.set(Number(entry), processCpuSeconds(Number(entry)))
    } catch {
      // The process ended while we looked.
    }
  }
  return byPid
}

/**
 * Server CPU spent since `before`: each process's growth (a backend that started meanwhile counts
 * whole; one that ended meanwhile is lost, so this errs low, never negative).
 */
function postgresCpuSince(before: ReadonlyMap<number, number>): number {
  let total = 0
  for (const [pid, seconds] of postgresCpuByPid()) total += seconds - (before.get(pid) ?? 0)
  return total
}

/** Peak resident set of a process in MB (VmHWM). */
export function peakRssMb(pid: number = process.pid): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) / 1024
}

async function walPosition(database: Database): Promise<string> {
  const { rows } = await sql<{ lsn: string }>`select pg_current_wal_lsn()::text as lsn`.execute(
    database.kysely,
  )
  return rows[0]?.lsn as string
}

async function walBytesSince(database: Database, from: string): Promise<number> {
  const { rows } = await sql<{ bytes: string }>`
    select pg_wal_lsn_diff(pg_current_wal_lsn(), ${from}::pg_lsn)::text as bytes`.execute(database.kysely)
  return Number(rows[0]?.bytes ?? 0)
}

/** cpuS counts everything below; databaseCpuS is the PostgreSQL server's part of it (0 on SQLite). */
export type Measured = { wallS: number; cpuS: number; databaseCpuS: number; walBytes: number | null }

/**
 * Runs `work` and measures it. CPU counts this process, `pids` (e.g. a worker process) and, on
 * PostgreSQL, the server's processes; other load on the machine during the run is not counted.
 */
export async function measure(
  database: Database,
  work: () => Promise<void>,
  pids: readonly number[] = [],
): Promise<Measured> {
  const onPostgres = database.dialect === 'postgres'
  const clientCpu = () =>
    (process.cpuUsage().user + process.cpuUsage().system) / 1e6 +
    pids.reduce((sum, pid) => sum + processCpuSeconds(pid), 0)
  const wal = onPostgres ? await walPosition(database) : null
  const serverBefore = onPostgres ? postgresCpuByPid() : new Map<number, number>()
  const cpu = clientCpu()
  const started = performance.now()
  await work()
  const wallS = (performance.now() - started) / 1000
  const databaseCpuS = onPostgres ? postgresCpuSince(serverBefore) : 0
  const cpuS = clientCpu() - cpu + databaseCpuS
  return { wallS, cpuS, databaseCpuS, walBytes: wal === null ? null : await walBytesSince(database, wal) }
}

/** Microseconds of this process's CPU per call of `call`, run `runs` times after a warm-up of a tenth as many. */
export function cpuMicrosecondsPer(call: () => unknown, runs: number): number {
  for (let i = 0; i < runs / 10; i++) call()
  const started = process.cpuUsage()
  for (let i = 0; i < runs; i++) call()
  const used = process.cpuUsage(started)
  return (used.user + used.system) / runs
}

/** The machine's load while measuring, to print beside the numbers. */
export function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
}

export function table(
  header: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<string | number>>,
): string {
  const cells = [header, ...rows].map((r) => r.map(String))
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)))
  return cells.map((r) => r.map((c, i) => c.padStart(widths[i] as number)).join('  ')).join('\n')
}
