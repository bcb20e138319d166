import type { AssignmentStore } from './adapters/AssignmentStore.ts'
import type { ConfigCache } from './adapters/ConfigCache.ts'
import type { ConfigRepository } from './adapters/ConfigRepository.ts'
import type { Exposure, ExposureRecorder } from './adapters/ExposureRecorder.ts'
import type { ApiKey } from './routes/auth.ts'

/** What the routes use; built once by `buildApp`. */
export interface Services {
  repository: ConfigRepository
  config: ConfigCache
  /** Sticky assignments; each new one carries its exposure, recorded once it is stored. */
  assignments: AssignmentStore<Exposure>
  exposures: ExposureRecorder
  /** Keys for assignment, flag evaluation and OFREP. */
  apiKeys: () => readonly ApiKey[]
  /** Keys for the admin API. */
  adminKeys: () => readonly ApiKey[]
  now: () => number
  /** Route config for the high-volume evaluation routes (assign, flag evaluation, OFREP). */
  evaluationRoutes: { accessLog: boolean }
}
