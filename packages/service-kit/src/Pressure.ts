import underPressure from '@fastify/under-pressure'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { OverloadedError } from './Errors.ts'

export interface PressureOptions {
  maxEventLoopDelayMs: number
  maxEventLoopUtilization: number
  /** 0 disables the heap limit. */
  maxHeapUsedBytes: number
  retryAfterSeconds: number
  /** Extra health signal polled every `healthCheckIntervalMs`; false sheds load like an overload. */
  healthCheck?: () => Promise<boolean>
  healthCheckIntervalMs?: number
  sampleIntervalMs?: number
}

/** Load shedding: 503 with `Retry-After` while the event loop, heap or health check says overloaded. */
export const pressurePlugin = fp(
  async (app: FastifyInstance, options: PressureOptions) => {
    await app.register(underPressure, {
      maxEventLoopDelay: options.maxEventLoopDelayMs,
      maxEventLoopUtilization: options.maxEventLoopUtilization,
      maxHeapUsedBytes: options.maxHeapUsedBytes,
      retryAfter: options.retryAfterSeconds,
      sampleInterval: options.sampleIntervalMs,
      ...(options.healthCheck && {
        healthCheck: options.healthCheck,
        healthCheckInterval: options.healthCheckIntervalMs ?? 5000,
      }),
      // Our own error, so the client sees a stable AGENTSRE_ code through the error handler.
      pressureHandler: async (_request, reply, type) => {
        reply.header('retry-after', options.retryAfterSeconds)
        throw new OverloadedError(type)
      },
    })
  },
  { name: '@agent-sre/service-kit/pressure' },
)
