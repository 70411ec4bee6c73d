import { createRequire } from 'node:module'

/**
 * The package's version, read from package.json (one place for `tagbase --version`,
 * /openapi.json and the package): one directory up from both src/ and dist/.
 */
export const TAGBASE_VERSION: string = (
  createRequire(import.meta.url)('../package.json') as { version: string }
).version
