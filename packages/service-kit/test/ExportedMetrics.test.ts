import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { assertExportedMetrics } from '../src/testing.ts'

const METRICS = '# HELP a_total a\n# TYPE a_total counter\na_total{x="1"} 2\n# TYPE b gauge\nb 0\n'
const app = { inject: async () => ({ body: METRICS }) } as unknown as Parameters<
  typeof assertExportedMetrics
>[0]

describe('assertExportedMetrics', () => {
  const dir = mkdtempSync(join(tmpdir(), 'exported-metrics-'))
  const file = pathToFileURL(join(dir, 'exported-metrics.txt'))
  const options = { file, service: 'demo', keptBy: 'demo.test.ts' }
  afterEach(() => vi.unstubAllEnvs())
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('passes when the file lists exactly the exported families, in any order, comments ignored', async () => {
    writeFileSync(file, '# header\nb gauge\na_total counter # why\n')
    await assertExportedMetrics(app, { ...options, incremented: ['a_total'] })
  })

  it('fails on a family missing from the file', async () => {
    writeFileSync(file, 'b gauge\n')
    await expect(assertExportedMetrics(app, options)).rejects.toThrow(/differs from GET \/metrics/)
  })

  it('fails when an incremented family has no sample above 0', async () => {
    writeFileSync(file, 'a_total counter\nb gauge\n')
    await expect(assertExportedMetrics(app, { ...options, incremented: ['b'] })).rejects.toThrow(
      /b was not incremented/,
    )
  })

  it('rewrites the file, with its header, under UPDATE_EXPORTED_METRICS=1', async () => {
    vi.stubEnv('UPDATE_EXPORTED_METRICS', '1')
    writeFileSync(file, 'stale counter\n')
    await assertExportedMetrics(app, options)
    expect(readFileSync(file, 'utf8')).toBe(
      '# Metric families demo exports ("<name> <type>", as the "# TYPE" lines of its /metrics).\n' +
        '# Kept true by demo.test.ts (UPDATE_EXPORTED_METRICS=1 rewrites it).\n' +
        'a_total counter\nb gauge\n',
    )
  })
})
