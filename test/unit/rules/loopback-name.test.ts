// One answer to "does this name or address mean only this host": the agent's bind rule and Host check, and the CLI's
// choice to send the token on a read, all ask it.
import { expect, it } from 'vitest';
import { isLoopbackName } from '../../../rules/addr/addr.js';

it('localhost, *.localhost, 127/8 and ::1 however spelt; nothing else', () => {
  for (const h of ['localhost', 'LOCALHOST.', 'app.localhost', '127.0.0.1', '127.9.8.7', '::1', '[::1]', '0:0:0:0:0:0:0:1']) expect(isLoopbackName(h), h).toBe(true);
  for (const h of ['rebind.attacker.example', 'localhost.example', '10.0.0.5', '128.0.0.1', '::2', '[::ffff:10.0.0.1]', '', 'notlocalhost']) expect(isLoopbackName(h), h).toBe(false);
});
