import { createHash, timingSafeEqual } from 'node:crypto'
import { type FSWatcher, readFileSync, watch } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { Env } from './Config.ts'
import { ConfigError } from './Config.ts'

export interface Secret {
  /** The current value; re-read from the file when it changes. */
  value(): string | undefined
  /** Stops watching the file. */
  close(): void
}

export interface SecretOptions {
  env?: Env
  /** Fallback stat poll: fs.watch can miss changes (network volumes, some symlink swaps). */
  pollIntervalMs?: number
  /** false: rely on the stat poll alone (filesystems without change notification). Default true. */
  watch?: boolean
  /** Called with the error when a changed file cannot be read; the last value is kept. */
  onError?: (err: unknown) => void
}

// Trailing newlines come from `echo` and editors, never from the credential itself.
const read = (text: string) => text.replace(/\r?\n$/, '')

/**
 * A credential from `<NAME>_FILE` (re-read on change, so keys rotate without a restart) or from
 * the `<NAME>` variable (fixed). A file that cannot be read at start-up fails start-up.
 *
 * Kubernetes secret volumes replace the file by swapping a `..data` symlink in its directory, which
 * a watch on the file itself does not see; so the directory is watched, and the file is also
 * stat-ed periodically.
 */
export function secret(
  name: string,
  { env = process.env, pollIntervalMs = 10_000, watch: useWatch = true, onError }: SecretOptions = {},
): Secret {
  const file = env[`${name}_FILE`]
  if (!file) {
    const fixed = env[name] || undefined
    return { value: () => fixed, close: () => {} }
  }

  let current: string
  try {
    current = read(readFileSync(file, 'utf8'))
  } catch (err) {
    throw new ConfigError([
      { variable: `${name}_FILE`, message: `cannot read ${file}: ${(err as Error).message}` },
    ])
  }

  let version = ''
  const reload = async () => {
    try {
      const info = await stat(file)
      const next = `${info.ino}:${info.size}:${info.mtimeMs}`
      if (next === version) return
      current = read(await readFile(file, 'utf8'))
      version = next
    } catch (err) {
      // Mid-swap the path can briefly be missing: keep serving the last value.
      onError?.(err)
    }
  }
  // One reload at a time; a change seen meanwhile triggers one more pass.
  let running = false
  let pending = false
  const refresh = async () => {
    if (running) {
      pending = true
      return
    }
    running = true
    try {
      do {
        pending = false
        await reload()
      } while (pending)
    } finally {
      running = false
    }
  }
  void refresh()

  let watcher: FSWatcher | undefined
  if (useWatch) {
    try {
      watcher = watch(dirname(file), { persistent: false }, () => void refresh())
      watcher.on('error', (err) => onError?.(err))
    } catch (err) {
      onError?.(err)
    }
  }
  const poll = setInterval(() => void refresh(), pollIntervalMs)
  poll.unref()

  return {
    value: () => current,
    close: () => {
      clearInterval(poll)
      watcher?.close()
    },
  }
}

/**
 * Compares a presented token with the expected one in constant time. Both are hashed first, so
 * neither the content nor the length of the secret leaks through timing.
 */
export function safeEqual(presented: string | undefined, expected: string | undefined): boolean {
  if (presented === undefined || expected === undefined || expected === '') return false
  const a = createHash('sha256').update(presented).digest()
  const b = createHash('sha256').update(expected).digest()
  return timingSafeEqual(a, b)
}

/**
 * The credentials of an `Authorization` header (RFC 9110 §11.6.2): the scheme in lower case (schemes
 * are case-insensitive: `Bearer`, `bearer` and `BEARER` are one) and what follows the spaces after
 * it. Undefined without a header or a value. Compare the value with `safeEqual`.
 */
export function credentialsOf(
  header: string | undefined,
): { readonly scheme: string; readonly value: string } | undefined {
  const match = header === undefined ? null : /^([^\s]+) +(\S.*)$/.exec(header.trim())
  return match ? { scheme: match[1]!.toLowerCase(), value: match[2]! } : undefined
}
