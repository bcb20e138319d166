import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { HttpSender, TransportError } from '../../src/adapters/HttpSender.ts'

describe('HttpSender', () => {
  let server: Server
  let url: string
  let sender: HttpSender

  beforeEach(async () => {
    // Answers `/ok` at once; leaves every other request hanging.
    server = createServer((request, response) => {
      request.resume()
      if (request.url === '/ok') response.writeHead(202).end()
      if (request.url === '/reply') response.writeHead(200, { 'ce-id': 'r1' }).end('x'.repeat(3_000))
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    sender = new HttpSender({ maxResponseBytes: 2_048 })
  })

  afterEach(async () => {
    server.closeAllConnections()
    server.close()
    await sender.close()
  })

  it('answers with the status and body', async () => {
    const response = await sender.post(`${url}/ok`, {}, '{}', 1_000)
    expect(response.status).toBe(202)
    expect(response.body.byteLength).toBe(0)
  })

  it('a reply body over maxResponseBytes is a TransportError; the pool keeps working', async () => {
    await expect(sender.post(`${url}/reply`, {}, '{}', 1_000)).rejects.toThrow(
      new TransportError('response body larger than 2048 bytes'),
    )
    expect((await sender.post(`${url}/ok`, {}, '{}', 1_000)).status).toBe(202)
  })

  it('returns the response headers and body', async () => {
    const small = new HttpSender({ maxResponseBytes: 4_096 })
    try {
      const response = await small.post(`${url}/reply`, {}, '{}', 1_000)
      expect(response.status).toBe(200)
      expect(response.headers['ce-id']).toBe('r1')
      expect(response.body.toString()).toBe('x'.repeat(3_000))
    } finally {
      await small.close()
    }
  })

  it('a refused connection is a TransportError', async () => {
    const closed = createServer()
    closed.listen(0, '127.0.0.1')
    await once(closed, 'listening')
    const { port } = closed.address() as AddressInfo
    closed.close()
    await once(closed, 'close')
    await expect(sender.post(`http://127.0.0.1:${port}/`, {}, '{}', 1_000)).rejects.toBeInstanceOf(
      TransportError,
    )
  })

  it('a request without an answer fails with TransportError at its deadline', async () => {
    await expect(sender.post(`${url}/hang`, {}, '{}', 50)).rejects.toBeInstanceOf(TransportError)
  })

  it('aborting the caller signal aborts every request in flight under it, with its reason', async () => {
    const closing = new AbortController()
    const other = new AbortController()
    const requests = Array.from({ length: 5 }, () =>
      sender.post(`${url}/hang`, {}, '{}', 10_000, closing.signal),
    )
    const unrelated = sender.post(`${url}/hang`, {}, '{}', 150, other.signal)
    await new Promise((resolve) => setTimeout(resolve, 20))
    const reason = new Error('broker closed')
    closing.abort(reason)
    for (const request of requests) await expect(request).rejects.toBe(reason)
    // A request under another signal runs on to its own deadline.
    await expect(unrelated).rejects.toBeInstanceOf(TransportError)
    // The signal's requests are done with; later ones under a fresh signal still go out.
    expect((await sender.post(`${url}/ok`, {}, '{}', 1_000, other.signal)).status).toBe(202)
  })

  it('a signal already aborted fails the request with its reason', async () => {
    const closing = new AbortController()
    closing.abort(new Error('closed before'))
    await expect(sender.post(`${url}/ok`, {}, '{}', 1_000, closing.signal)).rejects.toThrow('closed before')
  })
})
