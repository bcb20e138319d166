import { expect, it } from 'vitest'
import { createLogger, isoTime } from '../src/Logger.ts'
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
