/**
 * Knative data-plane rule: 404 (not there yet), 408, 409 (in progress), 429 and 5xx are worth
 * another attempt; every other 4xx says the event itself is wrong; 1xx/3xx are never retried.
 */
export function isRetriableStatus(status: number): boolean {
  return (
    status === 404 || status === 408 || status === 409 || status === 429 || (status >= 500 && status <= 599)
  )
}

export function isSuccessStatus(status: number): boolean {
  return status >= 200 && status <= 299
}
