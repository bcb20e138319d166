import { describe, expect, it } from 'vitest'
import {
  EventTypes,
  isEventOfType,
  makeEvent,
  parseHttpEvent,
  toBinaryHttp,
  validateEventData,
} from '../src/index.ts'
import { sampleData } from './fixtures.ts'

const firing = sampleData['agentsre.alert.firing']

describe('validateEventData', () => {
  it('reports schema violations with JSON pointer paths', () => {
    const data = {
      ...firing,
      alert: { ...firing.alert, fingerprint: 'XYZ', startsAt: 'yesterday' },
      episodeId: '',
    }
    const result = validateEventData({ type: 'agentsre.alert.firing', data })
    expect(result.result).toBe('invalid')
    const paths = result.result === 'invalid' ? result.errors.map((e) => e.path) : []
    expect(paths).toEqual(expect.arrayContaining(['/alert/fingerprint', '/alert/startsAt', '/episodeId']))
  })

  it('rejects a firing event that carries a resolved alert', () => {
    const data = { ...firing, alert: { ...firing.alert, status: 'resolved' } }
    const result = validateEventData({ type: 'agentsre.alert.firing', data })
    expect(result.result === 'invalid' && result.errors.map((e) => e.path)).toContain('/alert/status')
  })

  it('ignores fields it does not know, so producers can add optional fields first', () => {
    const data = { ...sampleData['agentsre.ticket.closed'], closedBy: 'U024BE7LH' }
    expect(validateEventData({ type: 'agentsre.ticket.closed', data })).toEqual({ result: 'valid' })
    const nested = { ...firing, alert: { ...firing.alert, silenceURL: 'http://am/#/silences/1' } }
    expect(validateEventData({ type: 'agentsre.alert.firing', data: nested })).toEqual({ result: 'valid' })
  })

  it('reports a missing required field by its path', () => {
    const { runId: _, ...data } = sampleData['agentsre.remediation.requested']
    const result = validateEventData({ type: 'agentsre.remediation.requested', data })
    expect(result.result === 'invalid' && result.errors.map((e) => e.path)).toContain('/runId')
  })

  it('reports data that is not an object at the root', () => {
    const result = validateEventData({ type: 'agentsre.experiment.event', data: 'purchase' })
    expect(result).toEqual({ result: 'invalid', errors: [expect.objectContaining({ path: '/' })] })
  })

  it.each(['2025-13-01T00:00:00Z', '2025-11-25 10:00:00Z', '2025-11-25T10:00:00'])(
    'rejects the timestamp %s',
    (timestamp) => {
      const data = { ...sampleData['agentsre.experiment.event'], timestamp }
      expect(validateEventData({ type: 'agentsre.experiment.event', data }).result).toBe('invalid')
    },
  )

  it('reports types outside the catalog as unknown and leaves the decision to the caller', () => {
    expect(validateEventData({ type: 'com.example.other', data: {} })).toEqual({
      result: 'unknown-type',
      type: 'com.example.other',
    })
  })

  it('narrows a received event to its catalog type only when type and data match', () => {
    const { headers, body } = toBinaryHttp(makeEvent('agentsre.alert.firing', firing))
    const received = parseHttpEvent(headers, body)
    expect(isEventOfType(received, EventTypes.AlertResolved)).toBe(false)
    expect(isEventOfType(received, EventTypes.AlertFiring)).toBe(true)
    if (isEventOfType(received, EventTypes.AlertFiring))
      expect(received.data.alert.labels.alertname).toBe('HighErrorRate')
    expect(
      isEventOfType({ type: 'agentsre.alert.firing', data: { alert: {} } }, EventTypes.AlertFiring),
    ).toBe(false)
  })
})
