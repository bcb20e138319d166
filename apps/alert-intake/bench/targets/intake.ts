// alert-intake as in production (src/server.ts), but on an ephemeral loopback port.
import type { AddressInfo } from 'node:net'
import { loadConfig } from '@agent-sre/service-kit'
import { buildApp } from '../../src/app.ts'
import { AppConfigSchema } from '../../src/config.ts'

const { app } = await buildApp({ config: loadConfig(AppConfigSchema) })
await app.listen({ port: 0, host: '127.0.0.1' })
process.stdout.write(`listening ${(app.server.address() as AddressInfo).port}\n`)
process.once('SIGTERM', () => void app.close())
