import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openCache, StoreUnavailableError } from '@agent-sre/store'
import { Type } from '@sinclair/typebox'
import pino from 'pino'
import { Registry } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import { createService, type ServiceInstance } from '../src/CreateService.ts'
import { DependencyUnavailableError } from '../src/Errors.ts'
import { buildTestService } from './helpers.ts'

let app: ServiceInstance | undefined
afterEach(async () => {
  await app?.close()
  app = undefined
})

describe('logging', () => {
  it('redacts credentials in headers and in logged objects, and tags every line with service and revision', async () => {
    const built = buildTestService({
      routes: async (routes) => {
        routes.get('/login', async (request) => {
          request.log.info(
            {
              headers: request.headers,
              body: { user: 'ann', password: 'pw-1', apiKey: 'ak-1', nested: { refreshToken: 'rt-1' } },
            },
            'login attempt',
          )
          return { ok: true }
        })
      },
    })
    app = built.app
    const response = await app.inject({
      url: '/login',
      headers: {
        authorization: 'Bearer tok-1',
        cookie: 'sid=ck-1',
        'x-api-key': 'xk-1',
        'x-client-secret': 'cs-1',
      },
    })
    expect(response.statusCode).toBe(200)
    const text = built.logs.text()
    for (const secret of ['tok-1', 'ck-1', 'xk-1', 'cs-1', 'pw-1', 'ak-1', 'rt-1'])
      expect(text).not.toContain(secret)
    expect(text).toContain('[Redacted]')
    const lines = built.logs.lines()
    expect(lines.length).toBeGreaterThanOrEqual(2)
    for (const line of lines) expect(line).toMatchObject({ service: 'test-svc', revision: 'test-svc-00001' })
    const login = lines.find((l) => l.msg === 'login attempt')!
    expect(login.body).toEqual({
      user: 'ann',
      password: '[Redacted]',
      apiKey: '[Redacted]',
      nested: { refreshToken: '[Redacted]' },
    })
  })

  it('uses K_SERVICE over the name when set', async () => {
    const built = buildTestService({ config: { K_SERVICE: 'alert-intake' } })
    app = built.app
    await app.inject({ url: '/nowhere' })
    expect(built.logs.lines().every((l) => l.service === 'alert-intake')).toBe(true)
  })

  it('writes one access line per request and none for probes', async () => {
    const built = buildTestService({ routes: async (r) => void r.get('/x', async () => 'x') })
    app = built.app
    await app.inject({ url: '/x' })
    await app.inject({ url: '/healthz' })
    const access = built.logs.lines().filter((l) => l.msg === 'request completed')
    expect(access).toHaveLength(1)
    expect(access[0]).toMatchObject({
      method: 'GET',
      url: '/x',
      route: '/x',
      statusCode: 200,
      reqId: expect.any(String),
      correlationId: expect.any(String),
      service: 'test-svc',
      revision: 'test-svc-00001',
      responseTime: expect.any(Number),
    })
  })

  it('scrubs credentials in the query string from the access line, keeping the rest of the url', async () => {
    const built = buildTestService({ routes: async (r) => void r.get('/cb', async () => 'x') })
    app = built.app
    await app.inject({ url: '/cb?access_token=qt-1&page=2&api%5Fkey=qk-1&SIGNATURE=qs-1' })
    await app.inject({ url: '/cb?page=3' })
    const urls = built.logs
      .lines()
      .filter((l) => l.msg === 'request completed')
      .map((l) => l.url)
    expect(urls).toEqual([
      '/cb?access_token=[Redacted]&page=2&api%5Fkey=[Redacted]&SIGNATURE=[Redacted]',
      '/cb?page=3',
    ])
    for (const secret of ['qt-1', 'qk-1', 'qs-1']) expect(built.logs.text()).not.toContain(secret)
  })

  it('scrubs the query string of a failed request too', async () => {
    const built = buildTestService({
      routes: async (r) =>
        void r.get('/boom', async () => {
          throw new Error('boom')
        }),
    })
    app = built.app
    await app.inject({ url: '/boom?token=qt-2' })
    expect(built.logs.text()).not.toContain('qt-2')
  })

  it("request lines carry reqId and correlationId, and a route's logLevel still applies", async () => {
    const built = buildTestService({
      routes: async (r) => {
        r.get('/quiet', { logLevel: 'warn' }, async (request) => {
          request.log.info('not written')
          request.log.warn({ session: { cookie: 'ck-2' } }, 'written')
          return 'x'
        })
      },
    })
    app = built.app
    await app.inject({ url: '/quiet', headers: { 'x-correlation-id': 'corr-7', 'x-request-id': 'req-7' } })
    expect(built.logs.lines()).toEqual([
      expect.objectContaining({
        msg: 'written',
        reqId: 'req-7',
        correlationId: 'corr-7',
        session: { cookie: '[Redacted]' },
      }),
    ])
  })

  it("a handler's lines carry reqId and correlationId (the request logger is made on first use)", async () => {
    const built = buildTestService({
      config: { LOG_LEVEL: 'warn' },
      routes: async (r) => {
        r.get('/quiet', async () => 'x')
        r.get('/loud', async (request) => {
          request.log.info('below the level')
          request.log.warn('written')
          return 'x'
        })
      },
    })
    app = built.app
    await app.inject({ url: '/quiet', headers: { 'x-correlation-id': 'corr-6' } })
    await app.inject({ url: '/loud', headers: { 'x-correlation-id': 'corr-8', 'x-request-id': 'req-8' } })
    expect(built.logs.lines()).toEqual([
      expect.objectContaining({ msg: 'written', level: 'warn', reqId: 'req-8', correlationId: 'corr-8' }),
    ])
  })

  it('writes no access line below its level, and still logs errors', async () => {
    const built = buildTestService({
      config: { LOG_LEVEL: 'warn' },
      routes: async (r) => {
        r.get('/x', async () => 'x')
        r.get('/boom', async () => {
          throw new Error('boom')
        })
      },
    })
    app = built.app
    await app.inject({ url: '/x' })
    await app.inject({ url: '/boom' })
    expect(built.logs.lines().map((l) => l.msg)).toEqual(['request failed'])
  })

  it('buffered log lines reach the file when the app closes (regression: lost on shutdown)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'service-kit-log-'))
    const file = join(dir, 'app.log')
    // Holds up to 16 000 bytes before writing: only the close-time flush can write these lines.
    const destination = pino.destination({ dest: file, sync: false, minLength: 16_000 })
    app = createService({
      name: 'flush-svc',
      registry: new Registry(),
      logDestination: destination,
      routes: async (r) => void r.get('/x', async () => 'x'),
    })
    await app.ready()
    for (let i = 0; i < 30; i++) await app.inject({ url: '/x' })
    await app.close()
    app = undefined
    const lines = (await readFile(file, 'utf8')).trim().split('\n')
    expect(lines.filter((l) => l.includes('"request completed"'))).toHaveLength(30)
    await rm(dir, { recursive: true, force: true })
  })
})

describe('correlation and request ids', () => {
  it('echoes X-Correlation-ID and exposes it to handlers and logs', async () => {
    const built = buildTestService({
      routes: async (r) => void r.get('/who', async (request) => ({ correlationId: request.correlationId })),
    })
    app = built.app
    const response = await app.inject({ url: '/who', headers: { 'x-correlation-id': 'episode-42' } })
    expect(response.headers['x-correlation-id']).toBe('episode-42')
    expect(response.json()).toEqual({ correlationId: 'episode-42' })
    expect(built.logs.lines().find((l) => l.msg === 'request completed')).toMatchObject({
      correlationId: 'episode-42',
    })
  })

  it('starts a new correlation id from the request id when none (or an unsafe one) is given', async () => {
    app = buildTestService({
      routes: async (r) => void r.get('/who', async (q) => ({ c: q.correlationId })),
    }).app
    const fresh = await app.inject({ url: '/who', headers: { 'x-request-id': 'req-7' } })
    expect(fresh.headers['x-request-id']).toBe('req-7')
    expect(fresh.headers['x-correlation-id']).toBe('req-7')
    const unsafe = await app.inject({ url: '/who', headers: { 'x-correlation-id': 'bad id\nforged: line' } })
    expect(unsafe.json().c).toBe(unsafe.headers['x-request-id'])
    expect(unsafe.json().c).toMatch(/^[0-9a-f-]{36}$/)
  })
})

describe('health', () => {
  it('/healthz answers without running dependency checks', async () => {
    let ran = false
    app = buildTestService({
      checks: {
        database: async () => {
          ran = true
        },
      },
    }).app
    const response = await app.inject({ url: '/healthz' })
    expect(response.statusCode).toBe(200)
    expect(ran).toBe(false)
  })

  it('/readyz is 503 naming the failing and the timed-out check', async () => {
    app = buildTestService({
      config: { READINESS_CHECK_TIMEOUT_MS: 50 },
      checks: {
        database: async () => {},
        cache: async () => {
          throw new Error('ECONNREFUSED')
        },
        broker: (signal) =>
          new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
      },
    }).app
    const response = await app.inject({ url: '/readyz' })
    expect(response.statusCode).toBe(503)
    expect(response.json()).toEqual({
      status: 'unavailable',
      failed: ['cache', 'broker'],
      checks: { database: 'ok', cache: 'failed', broker: 'timeout' },
    })
  })

  it('/readyz checks the cache it was given, and is 503 while draining', async () => {
    const cache = openCache()
    app = buildTestService({ cache }).app
    const ready = await app.inject({ url: '/readyz' })
    expect(ready.json()).toEqual({ status: 'ok', checks: { cache: 'ok' } })
    app.beginDrain()
    expect(app.draining).toBe(true)
    const draining = await app.inject({ url: '/readyz' })
    expect(draining.statusCode).toBe(503)
    expect(draining.json().status).toBe('draining')
    await cache.close()
  })
})

describe('metrics', () => {
  it('labels durations by route template, method and status class, never the raw URL', async () => {
    const built = buildTestService({
      routes: async (r) => {
        r.get('/items/:id', async (request, reply) =>
          (request.params as { id: string }).id === '404' ? reply.code(404).send({}) : { ok: true },
        )
      },
    })
    app = built.app
    await app.inject({ url: '/items/123' })
    await app.inject({ url: '/items/456' })
    await app.inject({ url: '/items/404' })
    await app.inject({ url: '/no/such/path/789' })
    const text = await (await app.inject({ url: '/metrics' })).body
    const counts = text
      .split('\n')
      .filter((l) => l.startsWith('agentsre_http_request_duration_seconds_count'))
    expect(counts).toEqual([
      'agentsre_http_request_duration_seconds_count{k_service="test-svc",k_revision="test-svc-00001",method="GET",route="/items/:id",status_class="2xx"} 2',
      'agentsre_http_request_duration_seconds_count{k_service="test-svc",k_revision="test-svc-00001",method="GET",route="/items/:id",status_class="4xx"} 1',
      'agentsre_http_request_duration_seconds_count{k_service="test-svc",k_revision="test-svc-00001",method="GET",route="unmatched",status_class="4xx"} 1',
    ])
    expect(text).not.toMatch(/items\/\d|no\/such/)
    expect(text).toContain('process_cpu_user_seconds_total')
  })
})

describe('errors', () => {
  const routes = async (r: ServiceInstance) => {
    r.post(
      '/orders',
      { schema: { body: Type.Object({ sku: Type.String(), quantity: Type.Integer({ minimum: 1 }) }) } },
      async () => ({ ok: true }),
    )
    r.get('/boom', async () => {
      throw new Error('password=hunter2 at db.internal:5432')
    })
    r.get('/db-down', async () => {
      throw new DependencyUnavailableError('database')
    })
  }

  it('a validation error is a 400 listing every failing field', async () => {
    app = buildTestService({ routes }).app
    const response = await app.inject({ method: 'POST', url: '/orders', payload: { quantity: 0 } })
    expect(response.statusCode).toBe(400)
    const body = response.json()
    expect(body.code).toBe('AGENTSRE_VALIDATION')
    expect(body.details).toEqual(
      expect.arrayContaining([
        { path: 'body/sku', message: "must have required property 'sku'" },
        { path: 'body/quantity', message: 'must be >= 1' },
      ]),
    )
    expect(body.message).toContain('body/sku')
  })

  it('a 5xx hides the internals from the caller, gives the request id and logs the context', async () => {
    const built = buildTestService({ routes })
    app = built.app
    const response = await app.inject({ url: '/boom', headers: { 'x-correlation-id': 'c-1' } })
    expect(response.statusCode).toBe(500)
    const body = response.json()
    expect(body).toEqual({
      statusCode: 500,
      code: 'AGENTSRE_INTERNAL',
      error: 'Internal Server Error',
      message: expect.stringContaining(body.requestId),
      requestId: response.headers['x-request-id'],
    })
    expect(response.body).not.toContain('hunter2')
    const logged = built.logs.lines().find((l) => l.msg === 'request failed')
    expect(logged).toMatchObject({
      route: '/boom',
      method: 'GET',
      correlationId: 'c-1',
      err: { message: expect.any(String) },
    })
  })

  it('a dependency outage is a 503 with a stable code', async () => {
    app = buildTestService({ routes }).app
    const response = await app.inject({ url: '/db-down' })
    expect(response.statusCode).toBe(503)
    expect(response.headers['retry-after']).toBe('5')
    expect(response.json()).toMatchObject({ code: 'AGENTSRE_DEPENDENCY_UNAVAILABLE' })
    expect(response.body).not.toContain('database')
  })

  it('store unavailability and pg/Redis connection errors are 503 with Retry-After, not 500', async () => {
    const outages: Record<string, () => Error> = {
      store: () => new StoreUnavailableError('postgres', 'no answer within 2000 ms'),
      refused: () => Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED' }),
      'pg-terminated': () => new Error('Connection terminated unexpectedly'),
      'pg-shutdown': () =>
        Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
      'pg-pool': () => new Error('timeout exceeded when trying to connect'),
      'redis-closed': () => new Error('Connection is closed.'),
      'redis-retries': () =>
        Object.assign(new Error('Reached the max retries per request limit'), {
          name: 'MaxRetriesPerRequestError',
        }),
      wrapped: () =>
        new Error('loading alerts failed', { cause: Object.assign(new Error('x'), { code: 'ETIMEDOUT' }) }),
    }
    const built = buildTestService({
      config: { DEPENDENCY_RETRY_AFTER_S: 3 },
      routes: async (r) => {
        r.get('/outage/:kind', async (request) => {
          throw outages[(request.params as { kind: string }).kind]!()
        })
        r.get('/bug', async () => {
          throw Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' })
        })
      },
    })
    app = built.app
    for (const kind of Object.keys(outages)) {
      const response = await app.inject({ url: `/outage/${kind}` })
      expect({ kind, status: response.statusCode, retryAfter: response.headers['retry-after'] }).toEqual({
        kind,
        status: 503,
        retryAfter: '3',
      })
      expect(response.json()).toMatchObject({
        code: 'AGENTSRE_DEPENDENCY_UNAVAILABLE',
        message: 'Service temporarily unavailable, retry later',
      })
      expect(response.body).not.toContain('10.0.0.5')
    }
    const bug = await app.inject({ url: '/bug' })
    expect(bug.statusCode).toBe(500)
    expect(bug.headers['retry-after']).toBeUndefined()
    expect(built.logs.lines().filter((l) => l.msg === 'service unavailable')).toHaveLength(
      Object.keys(outages).length,
    )
  })

  it('an unknown route is a 404 naming it', async () => {
    app = buildTestService().app
    const response = await app.inject({ method: 'DELETE', url: '/nope?x=1' })
    expect(response.statusCode).toBe(404)
    expect(response.json()).toMatchObject({
      code: 'AGENTSRE_NOT_FOUND',
      message: 'Route DELETE /nope not found',
    })
  })
})

describe('load shedding', () => {
  it('answers 503 with Retry-After while overloaded, but keeps liveness and metrics up', async () => {
    let healthy = true
    app = buildTestService({
      config: { PRESSURE_RETRY_AFTER_S: 7 },
      pressure: { healthCheck: async () => healthy, healthCheckIntervalMs: 5 },
      routes: async (r) => void r.get('/work', async () => 'done'),
    }).app
    expect((await app.inject({ url: '/work' })).statusCode).toBe(200)
    healthy = false
    await new Promise((resolve) => setTimeout(resolve, 30))
    const shed = await app.inject({ url: '/work' })
    expect(shed.statusCode).toBe(503)
    expect(shed.headers['retry-after']).toBe('7')
    expect(shed.json()).toMatchObject({ code: 'AGENTSRE_OVERLOADED' })
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200)
    expect((await app.inject({ url: '/metrics' })).statusCode).toBe(200)
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(503)
  })

  it('sheds on a tiny heap limit', async () => {
    app = buildTestService({
      config: { PRESSURE_MAX_HEAP_USED_BYTES: 1 },
      pressure: { sampleIntervalMs: 5 },
      routes: async (r) => void r.get('/work', async () => 'done'),
    }).app
    await app.ready()
    await new Promise((resolve) => setTimeout(resolve, 30))
    const response = await app.inject({ url: '/work' })
    expect(response.statusCode).toBe(503)
    expect(response.headers['retry-after']).toBe('10')
  })
})

describe('rate limiting', () => {
  it('answers 429 with Retry-After past the limit, counting in the shared cache', async () => {
    const cache = openCache()
    app = buildTestService({
      cache,
      config: { RATE_LIMIT_MAX: 2, RATE_LIMIT_WINDOW_MS: 60_000 },
      routes: async (r) => {
        r.get('/public', { config: { rateLimit: {} } }, async () => 'ok')
        r.get('/internal', async () => 'ok')
      },
    }).app
    const statuses = []
    for (let i = 0; i < 3; i++) statuses.push((await app.inject({ url: '/public' })).statusCode)
    expect(statuses).toEqual([200, 200, 429])
    const limited = await app.inject({ url: '/public' })
    expect(limited.json()).toMatchObject({ statusCode: 429 })
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0)
    expect((await app.inject({ url: '/internal' })).statusCode).toBe(200)
    await cache.close()
  })

  it('fails open when the cache is down', async () => {
    const cache = {
      ...openCache(),
      rateLimit: async () => {
        throw new Error('redis down')
      },
      check: async () => {},
    }
    app = buildTestService({
      cache,
      config: { RATE_LIMIT_MAX: 1 },
      routes: async (r) => void r.get('/public', { config: { rateLimit: {} } }, async () => 'ok'),
    }).app
    expect((await app.inject({ url: '/public' })).statusCode).toBe(200)
    expect((await app.inject({ url: '/public' })).statusCode).toBe(200)
  })
})
