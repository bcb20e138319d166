import type { FastifyInstance } from 'fastify'

/**
 * The protocol of a bench child with bench/run.ts: listen on a free loopback port, send
 * `{ port }`, and on the message 'stop' close the app, then `close()` what it uses, and leave.
 */
export async function serveBenchChild(app: FastifyInstance, close: () => Promise<void>): Promise<void> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  process.send!({ port: typeof address === 'object' && address ? address.port : 0 })
  process.on('message', async (message: string) => {
    if (message !== 'stop') return
    await app.close()
    await close()
    process.disconnect()
  })
}
