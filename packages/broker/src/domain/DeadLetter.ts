/** Knative truncates the subscriber's response body to this many bytes before encoding it. */
export const ERROR_DATA_MAX_BYTES = 1024

export interface DeliveryFailure {
  /** HTTP status of the last attempt; absent when no response came back (transport error, timeout). */
  readonly status?: number
  /** The subscriber URL that failed. */
  readonly destination: string
  /** Body of the last response, if any. */
  readonly body?: Uint8Array
}

/** Extensions a dead-lettered event carries, as the Knative Kafka broker sets them. */
export function deadLetterExtensions(failure: DeliveryFailure): Record<string, string> {
  const extensions: Record<string, string> = { knativeerrordest: failure.destination }
  if (failure.status !== undefined) extensions.knativeerrorcode = String(failure.status)
  if (failure.body && failure.body.byteLength > 0) {
    const truncated = failure.body.subarray(0, ERROR_DATA_MAX_BYTES)
    extensions.knativeerrordata = Buffer.from(
      truncated.buffer,
      truncated.byteOffset,
      truncated.byteLength,
    ).toString('base64')
  }
  return extensions
}
