import { describe, expect, it } from 'vitest'
import { deadLetterExtensions, ERROR_DATA_MAX_BYTES } from '../../src/domain/DeadLetter.ts'

describe('deadLetterExtensions', () => {
  it('carries status, destination and the body as base64', () => {
    const body = new TextEncoder().encode('boom')
    expect(deadLetterExtensions({ status: 500, destination: 'http://svc/', body })).toEqual({
      knativeerrorcode: '500',
      knativeerrordest: 'http://svc/',
      knativeerrordata: Buffer.from('boom').toString('base64'),
    })
  })
  it('truncates the body to 1024 bytes before encoding', () => {
    const body = new Uint8Array(5000).fill(65)
    const data = deadLetterExtensions({ status: 503, destination: 'http://svc/', body }).knativeerrordata!
    expect(Buffer.from(data, 'base64')).toHaveLength(ERROR_DATA_MAX_BYTES)
  })
  it('omits code and data when no response came back', () => {
    expect(deadLetterExtensions({ destination: 'http://svc/' })).toEqual({ knativeerrordest: 'http://svc/' })
  })
})
