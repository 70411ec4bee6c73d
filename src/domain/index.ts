export * from './ids.js'
export * from './scopes.js'
export * from './tags.js'
export * from './bulkTagResult.js'
