import { createHash } from 'node:crypto'

/**
 * An episode is one firing period of one alert: fingerprint + startsAt. Its id is a name-based UUID
 * (RFC 9562 version 5: SHA-1 over a fixed namespace and the name) so every replica, every retry and
 * both members of an HA Alertmanager pair derive the same id without coordination.
 *
 * name = `<fingerprint>@<startsAt as epoch milliseconds>`: milliseconds because the webhook and the
 * prometheus-events source may format the same instant differently (offset, fraction digits).
 */
const NAMESPACE = Buffer.from('7c1e2a5e5f0b4c3a9d4e8b1a6f2c0d93', 'hex') // agent-sre alert episodes

export function episodeIdFor(fingerprint: string, startsAtMs: number): string {
  const hash = createHash('sha1').update(NAMESPACE).update(`${fingerprint}@${startsAtMs}`).digest()
  hash[6] = ((hash[6] as number) & 0x0f) | 0x50 // version 5
  hash[8] = ((hash[8] as number) & 0x3f) | 0x80 // RFC 4122 variant
  const h = hash.subarray(0, 16).toString('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}
