import { ConfigError, type Env } from '@agent-sre/service-kit'

/** `alert-intake` → `ALERT_INTAKE`: the prefix of a service's own variables (`ALERT_INTAKE_PORT`). */
export function envPrefix(service: string): string {
  return service.toUpperCase().replace(/-/g, '_')
}

/** The port a service listens on: `<SERVICE>_PORT`, else its registry default; 0 picks a free one. */
export function portFor(service: string, defaultPort: number, env: Env): number {
  const variable = `${envPrefix(service)}_PORT`
  const raw = env[variable]
  if (raw === undefined || raw === '') return defaultPort
  const port = Number(raw)
  if (!/^\d+$/.test(raw) || port > 65535) {
    throw new ConfigError([{ variable, message: `must be a port number (0-65535), got "${raw}"` }])
  }
  return port
}

/** Where a listener bound to `host` is reached from this machine. */
export function localUrl(host: string, port: number): string {
  const reachable = host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`
}
