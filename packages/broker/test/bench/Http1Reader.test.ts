import { describe, expect, it } from 'vitest'
import { Http1Reader, MalformedHttpError } from '../../bench/Http1Reader.ts'

const request = (id: string, body: string) =>
  `POST /ns/default HTTP/1.1\r\nHost: x\r\nCe-Id: ${id}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`

describe('Http1Reader (bench fixtures)', () => {
  it('frames pipelined requests in one chunk, header names lower-cased', () => {
    const messages = new Http1Reader().push(Buffer.from(request('a', '{"n":1}') + request('b', '')))
    expect(messages.map((m) => [m.startLine, m.headers.get('ce-id'), m.bodyBytes])).toEqual([
      ['POST /ns/default HTTP/1.1', 'a', 7],
      ['POST /ns/default HTTP/1.1', 'b', 0],
    ])
  })

  it('frames messages split anywhere across chunks, multi-byte bodies by bytes', () => {
    const wire = Buffer.from(request('a', '{"s":"é€"}') + request('b', 'xyz') + request('c', '{}'))
    for (let cut = 1; cut < wire.length; cut++) {
      const reader = new Http1Reader()
      const ids = [...reader.push(wire.subarray(0, cut)), ...reader.push(wire.subarray(cut))].map((m) =>
        m.headers.get('ce-id'),
      )
      expect(ids).toEqual(['a', 'b', 'c'])
      expect(reader.idle).toBe(true)
    }
  })

  it('reads responses for their status line', () => {
    const wire =
      'HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\nHTTP/1.1 503 Service Unavailable\r\ncontent-length: 2\r\n\r\n{}'
    expect(new Http1Reader().push(Buffer.from(wire)).map((m) => m.startLine.slice(9, 12))).toEqual([
      '202',
      '503',
    ])
  })

  it.each([
    ['chunked bodies', 'POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n'],
    ['no content-length', 'POST / HTTP/1.1\r\nhost: x\r\n\r\n'],
    ['a repeated content-length', 'POST / HTTP/1.1\r\ncontent-length: 1\r\ncontent-length: 1\r\n\r\nx'],
    ['a non-numeric content-length', 'POST / HTTP/1.1\r\ncontent-length: -1\r\n\r\n'],
    ['a header line without colon', 'POST / HTTP/1.1\r\nbroken\r\ncontent-length: 0\r\n\r\n'],
    ['HTTP/1.0', 'POST / HTTP/1.0\r\ncontent-length: 0\r\n\r\n'],
  ])('refuses %s', (_case, wire) => {
    expect(() => new Http1Reader().push(Buffer.from(wire))).toThrow(MalformedHttpError)
  })
})
