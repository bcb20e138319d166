// The no-op subscriber of the broker benchmark, in its own process like a real service but as
// cheap as correct HTTP/1.1 allows, so the benchmark measures the broker rather than its fixture:
// a raw `net` server that frames pipelined requests (Http1Reader), records ingest-to-delivery
// latency from the `ce-benchsentat` extension, and answers each with `202` (empty body), the
// answers to one read coalesced into one write. Each event id counts once: a redelivered id is
// counted as a duplicate, not as a delivery. A request it cannot frame, or one that is not a POST
// of a binary-mode event from the benchmark, fails the benchmark: it reports the error and exits 1.

import type { AddressInfo } from 'node:net'
import { createServer } from 'node:net'
import { Http1Reader } from './Http1Reader.ts'

const ACCEPTED = 'HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n'

let latencies: number[] = []
let duplicates = 0
const seen = new Set<string>()

function fail(error: unknown): never {
  process.send!({ error: error instanceof Error ? error.message : String(error) })
  process.exit(1)
}

const server = createServer({ noDelay: true }, (socket) => {
  const reader = new Http1Reader()
  socket.on('data', (chunk: Buffer) => {
    let answers = 0
    try {
      const now = performance.timeOrigin + performance.now()
      for (const { startLine, headers } of reader.push(chunk)) {
        const id = headers.get('ce-id')
        const sentAt = Number(headers.get('ce-benchsentat'))
        if (!startLine.startsWith('POST ') || id === undefined || !Number.isFinite(sentAt)) {
          throw new Error(`not a benchmark event: ${startLine}, ce-id ${id}, ce-benchsentat ${sentAt}`)
        }
        if (seen.has(id)) duplicates++
        else {
          seen.add(id)
          latencies.push(now - sentAt)
        }
        answers++
      }
    } catch (error) {
      fail(error)
    }
    if (answers > 0) socket.write(answers === 1 ? ACCEPTED : ACCEPTED.repeat(answers))
  })
  socket.on('error', () => socket.destroy())
})
server.listen(0, '127.0.0.1', () => {
  process.send!({ port: (server.address() as AddressInfo).port })
})
process.on('message', (message: string) => {
  if (message === 'report') {
    process.send!({ latencies, duplicates })
    latencies = []
  } else if (message === 'stop') {
    server.close()
    process.disconnect()
    process.exit(0)
  }
})
