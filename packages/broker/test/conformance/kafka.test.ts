import { requireServiceEnv } from '@agent-sre/store/testing'
import { conformanceSuite } from './conformanceSuite.ts'

const brokers = requireServiceEnv('KAFKA_BROKERS')

conformanceSuite({
  name: 'kafka',
  backend: () =>
    brokers
      ? {
          kafka: {
            brokers: brokers.split(','),
            partitions: 3,
            sessionTimeoutMs: 6_000,
            heartbeatIntervalMs: 500,
          },
        }
      : undefined,
  fakeTimers: false,
})
