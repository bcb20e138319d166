import type { Queryable } from './Database.ts'

/**
 * A Queryable valid only while its transaction runs: a stray `tx.query` after commit would
 * silently run outside the transaction (or on a pooled connection someone else now holds).
 */
export const scopedQueryable = (target: Queryable): { tx: Queryable; end: () => void } => {
  let open = true
  return {
    tx: {
      query(sql, params) {
        if (!open) return Promise.reject(new Error('transaction already finished: use the database instead'))
        return target.query(sql, params)
      },
    },
    end: () => {
      open = false
    },
  }
}
