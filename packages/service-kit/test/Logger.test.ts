import { spawnSync } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, it, vi } from 'vitest'
import { createLogger, flushLogger, isoTime, logDestination, RequestLogger } from '../src/Logger.ts'
import { scrubUrl } from '../src/Redaction.ts'
import { captureLogs } from '../src/testing.ts'

it('formats the timestamp once per millisecond and as ISO 8601', () => {
  expect(isoTime(0)).toBe(',"time":"1970-01-01T00:00:00.000Z"')
  expect(isoTime(0)).toBe(isoTime(0))
  expect(isoTime(1_700_000_000_123)).toBe(',"time":"2023-11-14T22:13:20.123Z"')
  expect(isoTime(0)).toBe(',"time":"1970-01-01T00:00:00.000Z"')
})

it('writes the current time on each line', () => {
  const logs = captureLogs()
  const logger = createLogger({ service: 's', revision: 'r', destination: logs.destination })
  const before = Date.now()
  logger.info('hello')
  const time = Date.parse(String(logs.lines()[0]?.time))
  expect(time).toBeGreaterThanOrEqual(before)
  expect(time).toBeLessThanOrEqual(Date.now())
})

it('scrubs sensitive query parameters and leaves the rest of a url alone', () => {
  expect(scrubUrl('/items/1')).toBe('/items/1')
  expect(scrubUrl('/items?page=2&sort=id')).toBe('/items?page=2&sort=id')
  expect(scrubUrl('/cb?code=1&id_token=a.b.c&state=s')).toBe('/cb?code=1&id_token=[Redacted]&state=s')
  expect(scrubUrl('/x?password&x-api-key=k&api+key=k2')).toBe(
    '/x?password=[Redacted]&x-api-key=[Redacted]&api+key=k2',
  )
  expect(scrubUrl('/x?Api%2DKey=k&bad%E0=v&=v')).toBe('/x?Api%2DKey=[Redacted]&bad%E0=v&=v')
  expect(scrubUrl('/x?')).toBe('/x?')
})

async function linesOf(file: string): Promise<string[]> {
  return (await readFile(file, 'utf8')).split('\n').filter((l) => l !== '')
}

it('logDestination writes every line, in order', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'service-kit-dest-'))
  const file = join(dir, 'out.log')
  const logger = createLogger({ service: 's', revision: 'r', destination: logDestination(file) })
  for (let i = 0; i < 2000; i++) logger.info({ i }, 'line')
  await new Promise((resolve) => setImmediate(resolve))
  for (let i = 2000; i < 2500; i++) logger.info({ i }, 'line')
  // Handed to sonic-boom now; its asynchronous writes finish shortly after.
  await flushLogger(logger)
  await vi.waitFor(async () => expect(await linesOf(file)).toHaveLength(2500))
  const lines = await linesOf(file)
  expect(lines.map((l) => JSON.parse(l).i)).toEqual(Array.from({ length: 2500 }, (_, i) => i))
  await rm(dir, { recursive: true, force: true })
})

it('lines logged just before process.exit are written (regression: pending lines lost at exit)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'service-kit-exit-'))
  const file = join(dir, 'out.log')
  const script = `
    import { createLogger, logDestination } from ${JSON.stringify(new URL('../src/Logger.ts', import.meta.url).href)}
    const logger = createLogger({ service: 's', revision: 'r', destination: logDestination(process.argv[1]) })
    await new Promise((resolve) => setTimeout(resolve, 50)) // the file is open
    for (let i = 0; i < 500; i++) logger.info({ i }, 'line')
    process.exit(3)
  `
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script, file], { encoding: 'utf8' })
  expect(child.stderr).toBe('')
  expect(child.status).toBe(3)
  expect(await linesOf(file)).toHaveLength(500)
  await rm(dir, { recursive: true, force: true })
})

it('a request logger makes its child (and completes its bindings) only when a line is written', () => {
  const logs = captureLogs()
  const parent = createLogger({ service: 's', revision: 'r', level: 'info', destination: logs.destination })
  let completed = 0
  const log = new RequestLogger(
    parent,
    { reqId: 'req-1' },
    (bindings, header: string) => {
      completed++
      bindings.correlationId = header
    },
    'corr-1',
  )
  log.debug({ token: 'x' }, 'below the level')
  expect(log.isLevelEnabled('debug')).toBe(false)
  expect(log.level).toBe('info')
  expect(completed).toBe(0)

  log.info({ k: 1 }, 'first')
  log.warn('second')
  log.child({ step: 'send' }).error('third')
  expect(completed).toBe(1)
  expect(logs.lines()).toEqual([
    expect.objectContaining({ level: 'info', msg: 'first', k: 1, reqId: 'req-1', correlationId: 'corr-1' }),
    expect.objectContaining({ level: 'warn', msg: 'second', reqId: 'req-1', correlationId: 'corr-1' }),
    expect.objectContaining({
      level: 'error',
      msg: 'third',
      step: 'send',
      reqId: 'req-1',
      correlationId: 'corr-1',
    }),
  ])
  expect(log.bindings()).toMatchObject({ reqId: 'req-1', correlationId: 'corr-1' })
})
