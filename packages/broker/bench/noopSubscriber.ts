// The no-op subscriber of the broker benchmark, in its own process like a real service: answers
// 202 at once and records ingest-to-delivery latency from the `benchsentat` extension.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

let latencies: number[] = []
const server = createServer((request, response) => {
  const sentAt = Number(request.headers['ce-benchsentat'])
  request.resume()
  request.on('end', () => {
    latencies.push(performance.timeOrigin + performance.now() - sentAt)
    response.writeHead(202).end()
  })
})
server.keepAliveTimeout = 30_000
server.listen(0, '127.0.0.1', () => {
  process.send!({ port: (server.address() as AddressInfo).port })
})
process.on('message', (message: string) => {
  if (message === 'report') {
    process.send!({ received: latencies.length, latencies })
    latencies = []
  } else if (message === 'stop') {
    server.close()
    server.closeAllConnections()
    process.disconnect()
  }
})
