import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url))

/** Runs main.ts with `args`; `table` resolves with the URLs by service once `listeners` rows are printed. */
function start(args: string[], env: Record<string, string>, listeners = 1) {
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stderr.on('data', (chunk) => {
    stderr += chunk
  })
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  const table = new Promise<Map<string, string>>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      stdout += chunk
      const rows = [...stdout.matchAll(/^([a-z-]+) +(http:\/\/\S+)/gm)]
      if (stdout.includes('SERVICE') && rows.length >= listeners && stdout.endsWith('\n')) {
        resolve(new Map(rows.map(([, name, url]) => [name as string, url as string])))
      }
    })
    exited.then(([code]) => reject(new Error(`exited with ${code} before the table: ${stderr}`)))
  })
  return { child, table, exited, stderr: () => stderr }
}

describe('node apps/platform/src/main.ts', () => {
  it('prints the table, serves /healthz, and exits 0 within seconds of SIGINT', async () => {
    const run = start([], { BROKER_PORT: '0', ALERT_INTAKE_PORT: '0', EXPERIMENTS_PORT: '0' }, 3)
    const urls = await run.table
    expect([...urls.keys()]).toEqual(['broker', 'alert-intake', 'experiments'])
    for (const url of urls.values()) expect((await fetch(`${url}/healthz`)).status).toBe(200)

    const stoppedAt = Date.now()
    run.child.kill('SIGINT')
    const [code] = await run.exited
    expect(code, run.stderr()).toBe(0)
    expect(Date.now() - stoppedAt).toBeLessThan(5000)
  })

  it('runs the broker alone with --only broker and drains on SIGTERM', async () => {
    const run = start(['--only', 'broker'], { PORT: '0', SHUTDOWN_DRAIN_DELAY_MS: '0' })
    const urls = await run.table
    expect([...urls.keys()]).toEqual(['broker'])
    expect((await fetch(`${urls.get('broker')}/readyz`)).status).toBe(200)
    run.child.kill('SIGTERM')
    const [code] = await run.exited
    expect(code, run.stderr()).toBe(0)
  })

  it('refuses an unknown --only name with the usage and exit code 2', async () => {
    const run = start(['--only', 'nope'], {})
    const [code] = await run.exited
    expect(code).toBe(2)
    expect(run.stderr()).toContain('unknown service "nope"')
    await expect(run.table).rejects.toThrow()
  })
})
