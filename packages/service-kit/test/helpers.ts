import { Registry } from 'prom-client'
import { createService, type ServiceOptions } from '../src/CreateService.ts'
import { captureLogs } from '../src/testing.ts'

/** A service with its own registry and a captured log, so tests do not share state. */
export function buildTestService(options: Partial<ServiceOptions> = {}) {
  const logs = captureLogs()
  const registry = new Registry()
  const app = createService({
    name: 'test-svc',
    registry,
    logDestination: logs.destination,
    ...options,
    config: { K_REVISION: 'test-svc-00001', ...options.config },
  })
  return { app, logs, registry }
}
