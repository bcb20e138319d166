// Stands in for the broker's ingress in the benchmarks: answers every POST with 202 at once and
// counts them (`GET /count`). Its own process, as a broker is: in the load generator's process its
// work would delay the client's reading of responses and inflate the latency it measures.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

let received = 0
const server = createServer((request, response) => {
  if (request.method === 'GET' && request.url === '/count') {
    response.writeHead(200, { 'content-type': 'text/plain' }).end(String(received))
    return
  }
  request.resume().on('end', () => {
    received++
    response.writeHead(202, { 'content-length': '0' }).end()
  })
})
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`)
})
process.once('SIGTERM', () => {
  server.close()
  server.closeAllConnections()
})
