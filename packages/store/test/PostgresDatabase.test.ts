import { describe, expect, it } from 'vitest'
import { withSearchPath } from '../src/PostgresDatabase.ts'

describe('withSearchPath', () => {
  const optionsOf = (url: string) => new URL(url).searchParams.get('options')

  it('sets the search_path start-up option', () => {
    expect(optionsOf(withSearchPath('postgres://u:p@db:5432/app', 'ticketing'))).toBe(
      '-c search_path=ticketing',
    )
  })

  it('keeps options the operator already put in the URL', () => {
    const url = withSearchPath(
      'postgres://db/app?options=-c%20statement_timeout%3D5000&sslmode=require',
      'svc',
    )
    expect(optionsOf(url)).toBe('-c statement_timeout=5000 -c search_path=svc')
    expect(new URL(url).searchParams.get('sslmode')).toBe('require')
  })
})
