import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

const fixture = fileURLToPath(new URL('./fixtures/server.ts', import.meta.url))

function startFixture(env: Record<string, string>) {
  const child = spawn(process.execPath, [fixture], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
  })
  const exited = once(child, 'exit')
  const port = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fixture did not start: ${stdout}`)), 10_000)
    child.stdout.on('data', () => {
      const match = /listening (\d+)/.exec(stdout)
      if (match) {
        clearTimeout(timer)
        resolve(match[1]!)
      }
    })
  })
  return { child, port, exited, stdout: () => stdout }
}

it('on SIGTERM, every log line buffered by the asynchronous stdout destination is written before exit', async () => {
  const fixtureRun = startFixture({ SLOW_MS: '0', DRAIN_MS: '0', LOG_LEVEL: 'info' })
  try {
    const base = `http://127.0.0.1:${await fixtureRun.port}`
    for (let i = 0; i < 20; i++) expect((await fetch(`${base}/slow`)).status).toBe(200)
    fixtureRun.child.kill('SIGTERM')
    const [code] = await fixtureRun.exited
    expect(code).toBe(0)
    const lines = fixtureRun
      .stdout()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg: string })
    expect(lines.filter((l) => l.msg === 'request completed')).toHaveLength(20)
    // The last line of all, written after the server closed.
    expect(lines.at(-1)?.msg).toBe('closed')
  } finally {
    fixtureRun.child.kill('SIGKILL')
  }
}, 15_000)

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
