import { loadConfig, runServer } from '@agent-sre/service-kit'
import { buildApp } from './app.ts'
import { AppConfigSchema } from './config.ts'

const config = loadConfig(AppConfigSchema)
await runServer({
  build: async () => (await buildApp({ config })).app,
  port: config.PORT,
  host: config.HOST,
  drainDelayMs: config.SHUTDOWN_DRAIN_DELAY_MS,
})
