// zod without its compiled fast path, set before any schema `why` uses is built: a schema decides at construction
// whether it compiles one (new Function) on its first parse. One question parses each schema about once, where
// compiling costs more than it saves (the seed's replay: the collection's parsing 17–30 ms jitless, 42–77 with).
// Loaded by main.ts before why.ts: the contract's schemas, built as why's chunk loads, are then made jitless too (a
// module why.ts imported would run after them: ESM runs a module's imports first).
import { z } from 'zod';

z.config({ jitless: true });
