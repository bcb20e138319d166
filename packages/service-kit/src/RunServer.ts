import { setTimeout as sleep } from 'node:timers/promises'
import closeWithGrace from 'close-with-grace'
import type { FastifyInstance } from 'fastify'
import { stopTelemetry } from './Telemetry.ts'

export interface RunServerOptions {
  /** Builds the app (usually `buildApp` from `src/app.ts`); it must not listen. */
  build: () => FastifyInstance | Promise<FastifyInstance>
  /** Default 8080 (Knative's `PORT`). */
  port?: number
  /** Default `0.0.0.0`. */
  host?: string
  /**
   * Time between flipping `/readyz` to 503 and closing the server, so the platform stops routing
   * here first. Default 5000 ms: well above the 500 ms Knative needs to reprogram its routing.
   */
  drainDelayMs?: number
  /** Upper bound for closing after the drain (in-flight requests, pools); then the process exits. */
  closeTimeoutMs?: number
}

/**
 * The only place a service listens. On SIGTERM/SIGINT: readiness flips to 503, after
 * `drainDelayMs` the server closes (new connections refused, in-flight requests finish, `onClose`
 * hooks close pools and consumers), then traces are flushed and the process exits. A second
 * signal or the timeout exits at once. On an uncaught error it closes without the drain delay.
 */
export async function runServer({
  build,
  port = 8080,
  host = '0.0.0.0',
  drainDelayMs = 5000,
  closeTimeoutMs = 10_000,
}: RunServerOptions): Promise<FastifyInstance> {
  const app = await build()
  const listeners = closeWithGrace(
    { delay: drainDelayMs + closeTimeoutMs, logger: app.log },
    async ({ signal, err }) => {
      app.beginDrain()
      if (err) {
        app.log.error({ err }, 'closing after an uncaught error')
      } else {
        app.log.info({ signal, drainDelayMs }, 'draining before close')
        await sleep(drainDelayMs)
      }
      await closeServer(app)
      // An unreachable collector must not turn a clean shutdown into a failed one.
      await stopTelemetry().catch((err: unknown) => app.log.warn({ err }, 'traces not flushed'))
      app.log.info('closed')
    },
  )
  app.addHook('onClose', async () => listeners.uninstall())
  try {
    await app.listen({ port, host })
  } catch (err) {
    listeners.uninstall()
    await app.close()
    throw err
  }
  return app
}

/**
 * Closes the app and its server. `fastify.close()` closes idle keep-alive connections once, when
 * it starts; a connection whose request was in flight then turns idle and would hold the close
 * until its keep-alive timeout. So idle connections are closed again until the close completes.
 */
export async function closeServer(app: FastifyInstance): Promise<void> {
  const sweep = setInterval(() => app.server.closeIdleConnections(), 100)
  try {
    await app.close()
  } finally {
    clearInterval(sweep)
  }
}
