import { describe, expect, it } from 'vitest'
import { HttpStatusError, isHttpStatusError, throwForStatus } from '../src/index.ts'

describe('throwForStatus', () => {
  const now = Date.parse('2025-11-25T20:00:00Z')

  it('returns a 2xx response untouched, body unread', async () => {
    const response = new Response('{"ok":true}', { status: 200 })
    expect(await throwForStatus(response)).toBe(response)
    expect(response.bodyUsed).toBe(false)
  })

  it('throws HttpStatusError with status, body and Retry-After in delta-seconds', async () => {
    const response = new Response('slow down', { status: 429, headers: { 'retry-after': '3' } })
    const error = await throwForStatus(response, now).catch((e: unknown) => e)
    expect(isHttpStatusError(error)).toBe(true)
    expect(error).toMatchObject({ status: 429, retryAfterMs: 3000, body: 'slow down', message: 'HTTP 429' })
  })

  it('parses a Retry-After HTTP-date against the given clock', async () => {
    const response = new Response(null, {
      status: 503,
      headers: { 'retry-after': 'Tue, 25 Nov 2025 20:00:08 GMT' },
    })
    await expect(throwForStatus(response, now)).rejects.toMatchObject({ status: 503, retryAfterMs: 8000 })
  })

  it('leaves retryAfterMs undefined without the header and truncates a large body', async () => {
    const response = new Response('x'.repeat(10_000), { status: 400 })
    const error = (await throwForStatus(response).catch((e: unknown) => e)) as HttpStatusError
    expect(error.retryAfterMs).toBeUndefined()
    expect(error.body).toHaveLength(4096)
  })

  it('still reports the status when the body cannot be read', async () => {
    const response = new Response('gone', { status: 502 })
    await response.text()
    await expect(throwForStatus(response)).rejects.toMatchObject({ status: 502, body: undefined })
  })
})

describe('HttpStatusError', () => {
  it('is branded, so the guard rejects look-alikes without the brand', () => {
    expect(isHttpStatusError(new HttpStatusError(500))).toBe(true)
    expect(isHttpStatusError(Object.assign(new Error('HTTP 500'), { status: 500 }))).toBe(false)
    expect(isHttpStatusError(null)).toBe(false)
  })
})
