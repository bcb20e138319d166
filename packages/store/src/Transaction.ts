import type { Queryable } from './Database.ts'

/**
 * Runs a transaction's callback with a Queryable valid only while the callback runs: a stray
 * `tx.query` after commit would silently run outside the transaction (or on a pooled connection
 * someone else now holds). Both backends' `transaction` go through here.
 */
export const runScoped = async <T>(target: Queryable, fn: (tx: Queryable) => Promise<T>): Promise<T> => {
  let open = true
  const tx: Queryable = {
    query(sql, params, options) {
      if (!open) return Promise.reject(new Error('transaction already finished: use the database instead'))
      return target.query(sql, params, options)
    },
  }
  try {
    return await fn(tx)
  } finally {
    open = false
  }
}
