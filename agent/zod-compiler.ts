// zod as fastify's validator and serializer: every query, body and response passes through its schema.
import type { FastifyInstance } from 'fastify';
import type { ZodType } from 'zod';

export function useZod(app: FastifyInstance): void {
  app.setValidatorCompiler(({ schema }) => (data) => {
    const r = (schema as unknown as ZodType).safeParse(data);
    if (r.success) return { value: r.data };
    const i = r.error.issues[0];
    return { error: new Error(`${i && i.path.length > 0 ? `${i.path.join('.')}: ` : ''}${i?.message ?? 'invalid'}`) };
  });
  // Responses are checked against their schema before they leave: a bug shows as a 500, not as a broken contract.
  app.setSerializerCompiler(({ schema }) => (data) => JSON.stringify((schema as unknown as ZodType).parse(data)));
}
