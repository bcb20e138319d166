/**
 * Schema names are interpolated into SQL and into the connection's `search_path` option, so
 * only plain lowercase identifiers are accepted: no quoting needed, no injection possible.
 */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/

export const assertSchemaName = (schema: string): string => {
  if (!SCHEMA_NAME.test(schema) || schema.startsWith('pg_')) {
    throw new TypeError(
      `invalid schema name ${JSON.stringify(schema)}: use 1-63 characters of a-z, 0-9 and _ ` +
        '(not starting with a digit or pg_), e.g. "alert_intake"',
    )
  }
  return schema
}
