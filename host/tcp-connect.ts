// Opens one TCP connection and exits 0 when it is established, 1 otherwise; run inside a container's namespace by probe.ts.
import { connect } from 'node:net';

const [host, portText, timeoutText] = process.argv.slice(2);
const socket = connect({ host: host ?? '', port: Number(portText), timeout: Number(timeoutText ?? 2000) });
socket.on('connect', () => {
  socket.destroy();
  process.exit(0);
});
const fail = (why: string) => {
  process.stderr.write(`${why}\n`);
  process.exit(1);
};
socket.on('timeout', () => fail('timed out'));
socket.on('error', (e) => fail(e.message));
