export interface ListenRow {
  readonly name: string
  readonly url: string
  readonly detail: string
}

/** The start-up table: one aligned row per listener, then what was left out and why. */
export function formatListenTable(rows: readonly ListenRow[], notes: readonly string[] = []): string {
  const header: ListenRow = { name: 'SERVICE', url: 'URL', detail: '' }
  const all = [header, ...rows]
  const nameWidth = Math.max(...all.map((row) => row.name.length))
  const urlWidth = Math.max(...all.map((row) => row.url.length))
  const lines = all.map((row) =>
    `${row.name.padEnd(nameWidth)}  ${row.url.padEnd(urlWidth)}  ${row.detail}`.trimEnd(),
  )
  return `${[...lines, ...notes].join('\n')}\n`
}
