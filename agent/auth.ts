// Bearer-token check for mutating routes: constant-time comparison, registered only in their encapsulated context.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

const digest = (s: string) => createHash('sha256').update(s).digest();

export function requireBearer(token: string | null) {
  const expected = token ? digest(token) : null;
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (!expected) return reply.code(403).send({ error: 'Forbidden', message: 'this agent has no token (--token-file), so it accepts no changes' });
    const header = req.headers.authorization ?? '';
    const m = /^Bearer (.+)$/.exec(header);
    // Hashing first makes both sides the same length, so timingSafeEqual compares without leaking the token's length.
    if (!m || !timingSafeEqual(digest(m[1] as string), expected)) {
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'Unauthorized', message: m ? 'wrong token' : 'a bearer token is required (Authorization: Bearer <token>)' });
    }
  };
}
