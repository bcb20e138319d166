import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { requireServiceEnv } from '@agent-sre/store/testing'
import { describe, expect, it } from 'vitest'

const kafkaBrokers = requireServiceEnv('KAFKA_BROKERS')

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

  it('refuses BROKER_ROLE receiver or dispatcher without Kafka, and in the all-in-one platform', async () => {
    const alone = start(['--only', 'broker'], { PORT: '0', BROKER_ROLE: 'receiver' })
    expect((await alone.exited)[0]).toBe(1)
    expect(alone.stderr()).toContain('BROKER_ROLE: receiver needs KAFKA_BROKERS')
    await expect(alone.table).rejects.toThrow()
    const platform = start([], { BROKER_PORT: '0', BROKER_ROLE: 'dispatcher' })
    expect((await platform.exited)[0]).toBe(1)
    expect(platform.stderr()).toContain('BROKER_ROLE: dispatcher applies to --only broker')
    await expect(platform.table).rejects.toThrow()
  })

  it.skipIf(!kafkaBrokers)(
    'runs the Kafka broker as a receiver and a dispatcher process: an event posted to one is delivered by the other',
    async () => {
      const received: IncomingHttpHeaders[] = []
      const subscriber = createServer((request, response) => {
        received.push(request.headers)
        request.resume().on('end', () => response.writeHead(202).end())
      })
      await new Promise<void>((resolve) => subscriber.listen(0, '127.0.0.1', resolve))
      const env = {
        KAFKA_BROKERS: kafkaBrokers!,
        BROKER_NAMESPACE: `roles-${process.pid}-${Date.now().toString(36)}`,
        ALERT_INTAKE_URL: `http://127.0.0.1:${(subscriber.address() as AddressInfo).port}`,
        PORT: '0',
        SHUTDOWN_DRAIN_DELAY_MS: '0',
      }
      const receiver = start(['--only', 'broker'], { ...env, BROKER_ROLE: 'receiver' })
      const dispatcher = start(['--only', 'broker'], { ...env, BROKER_ROLE: 'dispatcher' })
      try {
        const ingress = (await receiver.table).get('broker')!
        expect((await dispatcher.table).get('broker')).toBeDefined()
        const posted = await fetch(`${ingress}/${env.BROKER_NAMESPACE}/default`, {
          method: 'POST',
          headers: {
            'ce-specversion': '1.0',
            'ce-id': 'roles-1',
            'ce-source': 'test',
            'ce-type': 'io.prometheus.alert.firing',
            'content-type': 'application/json',
          },
          body: '{}',
        })
        expect(posted.status).toBe(202)
        const deadline = Date.now() + 30_000
        while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
        expect(received.map((headers) => headers['ce-id'])).toEqual(['roles-1'])
      } finally {
        receiver.child.kill('SIGTERM')
        dispatcher.child.kill('SIGTERM')
        const codes = await Promise.all([receiver.exited, dispatcher.exited])
        subscriber.close()
        expect(codes.map(([code]) => code)).toEqual([0, 0])
      }
    },
    60_000,
  )

  it('refuses an unknown --only name with the usage and exit code 2', async () => {
    const run = start(['--only', 'nope'], {})
    const [code] = await run.exited
    expect(code).toBe(2)
    expect(run.stderr()).toContain('unknown service "nope"')
    await expect(run.table).rejects.toThrow()
  })
})
