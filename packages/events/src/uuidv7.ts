import { randomUUID } from 'node:crypto'

/**
 * RFC 9562 UUID version 7: a 48-bit millisecond timestamp then random bits, so ids sort by
 * creation time (index-friendly for the dedup and outbox tables). The random part comes from
 * randomUUID, whose buffered entropy is several times faster than a randomFill call per id.
 */
export function uuidv7(now: number = Date.now()): string {
  const random = randomUUID() // xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx, variant bits already set
  const time = now.toString(16).padStart(12, '0')
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${random.slice(15)}`
}
