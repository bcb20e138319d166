// The only place that reads the process environment and listens.

import { loadConfig, runServer } from '@agent-sre/service-kit'
import { ExperimentsConfigSchema } from './config.ts'
import { openApp } from './open.ts'

const config = loadConfig(ExperimentsConfigSchema)

await runServer({
  port: config.PORT,
  host: config.HOST,
  drainDelayMs: config.SHUTDOWN_DRAIN_DELAY_MS,
  build: () => openApp(process.env),
})
