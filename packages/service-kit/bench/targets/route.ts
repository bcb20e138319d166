import { Type } from '@sinclair/typebox'

/** The route both targets serve: a path parameter, a response schema, a small JSON body. */
export const itemRoute = {
  options: {
    schema: {
      params: Type.Object({ id: Type.String() }),
      response: { 200: Type.Object({ id: Type.String(), name: Type.String(), stock: Type.Integer() }) },
    },
  },
  handler: async (request: { params: unknown }) => ({
    id: (request.params as { id: string }).id,
    name: 'widget',
    stock: 42,
  }),
}
