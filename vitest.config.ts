import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/globalSetup.ts'],
    // Each file gets its own SQLite file and PostgreSQL schema, so files run in parallel safely.
    pool: 'forks',
    // Most suites wait on PostgreSQL, child processes and timers rather than on the CPU: three
    // files at a time on two cores (Vitest's default would be one) cut the wall time without
    // starving the timing-sensitive fault suites.
    poolOptions: { forks: { maxForks: 3, minForks: 1 } },
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
