// The README's first command (`./scripts/start`): the local broker and every service in one
// process, or with `--only <name>` one of them as its own process. The only place that reads
// argv and handles signals.

import { parseArgs } from 'node:util'
import { isConfigError } from '@agent-sre/service-kit'
import closeWithGrace from 'close-with-grace'
import { onlyNames, runOnly } from './only.ts'
import { startPlatform } from './Platform.ts'

const USAGE = `usage: node apps/platform/src/main.ts [--only <${onlyNames().join('|')}>]
  without --only: the broker and every service in one process, on embedded defaults
  --only <name>:  one service, or the broker alone, as its own process (as in a cluster)
see apps/platform/README.md for the environment variables`

class UsageError extends Error {}

function isParseArgsError(err: unknown): boolean {
  return String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')
}

try {
  const { values } = parseArgs({
    options: { only: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  })
  if (values.help) {
    process.stdout.write(`${USAGE}\n`)
  } else if (values.only !== undefined) {
    if (!onlyNames().includes(values.only)) throw new UsageError(`unknown service "${values.only}"`)
    process.stdout.write(await runOnly(values.only))
  } else {
    const platform = await startPlatform()
    // Installed once everything listens: a failed start-up has already closed what it opened.
    closeWithGrace({ delay: platform.config.PLATFORM_CLOSE_TIMEOUT_MS }, async ({ signal, err }) => {
      if (err) console.error('platform: closing after an uncaught error:', err)
      else console.error(`platform: ${signal ?? 'exit'}, closing services, then the broker`)
      await platform.close()
      console.error('platform: closed')
    })
    process.stdout.write(platform.table)
  }
} catch (err) {
  // Usage and configuration errors name what to fix; anything else is unexpected and shown whole.
  if (err instanceof UsageError || isParseArgsError(err)) console.error(`${(err as Error).message}\n${USAGE}`)
  else console.error(isConfigError(err) ? err.message : err)
  process.exitCode = err instanceof UsageError || isParseArgsError(err) ? 2 : 1
}
