// The matrix: every ordered pair of containers with its verdict, per address.
import { z } from 'zod';
import { Flow, Missing } from './question.js';
import { AddressVerdict, PairVerdict } from './trace.js';

/** `verdict` is `no-address` (and `addresses` empty) when B has no address of the family asked (-4/-6). */
export const MatrixPair = z.object({ from: z.string(), to: z.string(), verdict: PairVerdict, addresses: z.array(z.object({ ip: z.string(), verdict: AddressVerdict })) });
export type MatrixPair = z.infer<typeof MatrixPair>;

/** `netdiag matrix --json` (written as a stream) and GET /v1/matrix. */
export const MatrixResult = z.object({
  flow: Flow,
  missing: z.array(Missing),
  pairs: z.array(MatrixPair),
  /** Set when the matrix could not be finished: the pairs before it stand, the document is still whole. */
  error: z.object({ message: z.string() }).optional(),
});
export type MatrixResult = z.infer<typeof MatrixResult>;

