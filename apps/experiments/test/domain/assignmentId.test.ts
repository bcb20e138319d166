import { describe, expect, it } from 'vitest'
import { assignmentIdFor, assignmentKey, assignmentKeyParts } from '../../src/domain/assignmentId.ts'

describe('assignmentIdFor', () => {
  it('is a stable UUIDv8 per experiment, bucket version and user', () => {
    const id = assignmentIdFor(assignmentKey('0b5c6f3e-2f6e-4d8e-9a51-3c1f0f6f1a11', 1, 'user-1'))
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(assignmentIdFor(assignmentKey('0b5c6f3e-2f6e-4d8e-9a51-3c1f0f6f1a11', 1, 'user-1'))).toBe(id)
    // Persisted ids must not change between releases.
    expect(id).toBe('827af339-5765-8621-b9d6-40154d7bb0a2')
    expect(assignmentIdFor(assignmentKey('0b5c6f3e-2f6e-4d8e-9a51-3c1f0f6f1a11', 2, 'user-1'))).not.toBe(id)
    expect(assignmentIdFor(assignmentKey('0b5c6f3e-2f6e-4d8e-9a51-3c1f0f6f1a11', 1, 'user-2'))).not.toBe(id)
  })

  it('splits a key back into its parts, even when the user id holds the separator', () => {
    const key = assignmentKey('0b5c6f3e-2f6e-4d8e-9a51-3c1f0f6f1a11', 12, 'a\u0000b')
    expect(assignmentKeyParts(key)).toEqual(['0b5c6f3e-2f6e-4d8e-9a51-3c1f0f6f1a11', 12, 'a\u0000b'])
  })
})
