import { describe, expect, it } from 'vitest'
import { isRetriableStatus, isSuccessStatus } from '../../src/domain/RetryClassification.ts'

describe('isRetriableStatus', () => {
  it.each([404, 408, 409, 429, 500, 502, 503, 504, 599])('retries %d', (status) => {
    expect(isRetriableStatus(status)).toBe(true)
  })
  it.each([100, 200, 202, 301, 304, 400, 401, 403, 405, 410, 413, 422])('does not retry %d', (status) => {
    expect(isRetriableStatus(status)).toBe(false)
  })
  it('treats only 2xx as success', () => {
    expect([199, 200, 202, 299, 300].map(isSuccessStatus)).toEqual([false, true, true, true, false])
  })
})
