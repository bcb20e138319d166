import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sinkFetch } from '../../src/adapters/sinkFetch.ts'

let server: Server
let url: string
let connections = 0
const received: { method?: string; headers: Record<string, unknown>; body: string }[] = []

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString()
    })
    request.on('end', () => {
      received.push({ method: request.method, headers: request.headers, body })
      if (request.url === '/busy') {
        response.writeHead(503, { 'retry-after': '7', 'content-type': 'text/plain' }).end('try later')
      } else if (request.url === '/slow') {
        setTimeout(() => response.writeHead(202).end(), 2000)
      } else {
        response.writeHead(202, { 'content-type': 'text/plain' }).end('accepted')
      }
    })
  })
  server.on('connection', () => connections++)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

describe('sinkFetch', () => {
  it('posts headers and body; a 2xx answer is ok and bodyless; connections are reused', async () => {
    const post = sinkFetch(4)
    const before = connections
    for (let i = 0; i < 5; i++) {
      const response = await post(`${url}/`, {
        method: 'POST',
        headers: { 'ce-id': `e${i}`, 'content-type': 'application/json' },
        body: JSON.stringify({ i }),
      })
      expect(response.ok).toBe(true)
      expect(response.status).toBe(202)
      expect(response.body).toBeNull()
    }
    expect(connections - before).toBe(1)
    expect(received.at(-1)).toMatchObject({
      method: 'POST',
      headers: { 'ce-id': 'e4', 'content-type': 'application/json' },
      body: '{"i":4}',
    })
  })

  it('keeps the status, headers and body of a non-2xx answer', async () => {
    const response = await sinkFetch(1)(`${url}/busy`, { method: 'POST', body: 'x' })
    expect(response.ok).toBe(false)
    expect(response.status).toBe(503)
    expect(response.headers.get('retry-after')).toBe('7')
    expect(await response.text()).toBe('try later')
  })

  it('rejects when aborted and when nothing listens', async () => {
    await expect(
      sinkFetch(1)(`${url}/slow`, { method: 'POST', body: '', signal: AbortSignal.timeout(50) }),
    ).rejects.toThrow()
    await expect(sinkFetch(1)('http://127.0.0.1:1/', { method: 'POST', body: '' })).rejects.toThrow()
  })
})
