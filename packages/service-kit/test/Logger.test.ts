import { expect, it } from 'vitest'
import { createLogger, isoTime } from '../src/Logger.ts'
import { scrubUrl } from '../src/Redaction.ts'
import { captureLogs } from '../src/testing.ts'

it('formats the timestamp once per millisecond and as ISO 8601', () => {
  expect(isoTime(0)).toBe(',"time":"1970-01-01T00:00:00.000Z"')
  expect(isoTime(0)).toBe(isoTime(0))
  expect(isoTime(1_700_000_000_123)).toBe(',"time":"2023-11-14T22:13:20.123Z"')
  expect(isoTime(0)).toBe(',"time":"1970-01-01T00:00:00.000Z"')
})

it('writes the current time on each line', () => {
  const logs = captureLogs()
  const logger = createLogger({ service: 's', revision: 'r', destination: logs.destination })
  const before = Date.now()
  logger.info('hello')
  const time = Date.parse(String(logs.lines()[0]?.time))
  expect(time).toBeGreaterThanOrEqual(before)
  expect(time).toBeLessThanOrEqual(Date.now())
})

it('scrubs sensitive query parameters and leaves the rest of a url alone', () => {
  expect(scrubUrl('/items/1')).toBe('/items/1')
  expect(scrubUrl('/items?page=2&sort=id')).toBe('/items?page=2&sort=id')
  expect(scrubUrl('/cb?code=1&id_token=a.b.c&state=s')).toBe('/cb?code=1&id_token=[Redacted]&state=s')
  expect(scrubUrl('/x?password&x-api-key=k&api+key=k2')).toBe(
    '/x?password=[Redacted]&x-api-key=[Redacted]&api+key=k2',
  )
  expect(scrubUrl('/x?Api%2DKey=k&bad%E0=v&=v')).toBe('/x?Api%2DKey=[Redacted]&bad%E0=v&=v')
  expect(scrubUrl('/x?')).toBe('/x?')
})
