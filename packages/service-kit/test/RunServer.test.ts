import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

const fixture = fileURLToPath(new URL('./fixtures/server.ts', import.meta.url))

it('on SIGTERM: readiness 503 during the drain, in-flight request completes, pools closed, exit 0', async () => {
  const child = spawn(process.execPath, [fixture], {
    env: { ...process.env, SLOW_MS: '1000', DRAIN_MS: '500' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
  })
  const exited = once(child, 'exit')
  try {
    const port = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`fixture did not start: ${stdout}`)), 10_000)
      child.stdout.on('data', () => {
        const match = /listening (\d+)/.exec(stdout)
        if (match) {
          clearTimeout(timer)
          resolve(match[1]!)
        }
      })
    })
    const base = `http://127.0.0.1:${port}`
    expect((await fetch(`${base}/readyz`)).status).toBe(200)

    const inFlight = fetch(`${base}/slow`)
    await new Promise((r) => setTimeout(r, 100))
    child.kill('SIGTERM')
    await new Promise((r) => setTimeout(r, 100))
    const duringDrain = await fetch(`${base}/readyz`)
    expect(duringDrain.status).toBe(503)
    expect(await duringDrain.json()).toMatchObject({ status: 'draining' })
    expect(stdout).not.toContain('pools closed')

    const slow = await inFlight
    expect(slow.status).toBe(200)
    expect(await slow.json()).toEqual({ done: true })

    const [code] = await exited
    expect(code).toBe(0)
    expect(stdout).toContain('pools closed')
  } finally {
    child.kill('SIGKILL')
  }
}, 15_000)
