import { Type } from '@sinclair/typebox'

/** `?dry_run=true`: both dialects validate and answer what would change without writing. */
export const DryRunQuery = Type.Object({ dry_run: Type.Boolean({ default: false }) })
