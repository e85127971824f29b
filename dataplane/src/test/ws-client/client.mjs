// Drives WebSockets through a Sluice node with the ws package, a client no one at Sluice wrote, and prints what it saw
// as one JSON object on standard output. WebSocketSessionTest runs it and checks the result.
//
//   node client.mjs ECHO_URL STRICT_URL API_KEY
//
// ECHO_URL is an app running examples/hello (the echo at /ws); STRICT_URL the same server deployed with
// websocket_idle_timeout = 1 and websocket_max_message_bytes = 1024.
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';

const [echoUrl, strictUrl, key] = process.argv.slice(2);
if (!key) {
  console.error('usage: node client.mjs ECHO_URL STRICT_URL API_KEY');
  process.exit(64);
}
setTimeout(() => {
  console.error('timed out');
  process.exit(2);
}, 60_000).unref();

/** Opens a socket; messages queue up until next() takes them, and closed resolves to [code, reason]. */
function open(url) {
  const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${key}` } });
  const inbox = [];
  const waiting = [];
  ws.on('message', (data, isBinary) => {
    const message = { data, isBinary };
    const taker = waiting.shift();
    if (taker) {
      taker(message);
    } else {
      inbox.push(message);
    }
  });
  const opened = new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('unexpected-response', (request, response) => reject(new Error(`handshake answered ${response.statusCode}`)));
    ws.once('error', reject);
  });
  const closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve([code, reason.toString()])));
  ws.on('error', () => {}); // a socket the node cuts reports it through 'close'
  const next = () => (inbox.length > 0 ? Promise.resolve(inbox.shift()) : new Promise((resolve) => waiting.push(resolve)));
  return { ws, opened, closed, next };
}

const seen = {};

const echo = open(echoUrl);
await echo.opened;
seen.hello = JSON.parse((await echo.next()).data.toString());
echo.ws.send('hello from ws');
seen.text = (await echo.next()).data.toString();
const mebibyte = randomBytes(1 << 20);
echo.ws.send(mebibyte);
const back = await echo.next();
seen.mebibyteEchoed = back.isBinary && Buffer.compare(back.data, mebibyte) === 0;
const pong = new Promise((resolve) => echo.ws.once('pong', (data) => resolve(data.toString())));
echo.ws.ping('from ws');
seen.pong = await pong;
echo.ws.send('!ping from the replica'); // ws answers the replica's ping by itself; the replica says what came back
seen.replicaPing = (await echo.next()).data.toString();
echo.ws.close(4000, 'client done');
seen.clientClose = await echo.closed;

const closedByReplica = open(echoUrl);
await closedByReplica.opened;
await closedByReplica.next();
closedByReplica.ws.send('!close 4001 server done');
seen.replicaClose = await closedByReplica.closed;

const tooBig = open(strictUrl);
await tooBig.opened;
await tooBig.next();
tooBig.ws.send(Buffer.alloc(1025));
seen.tooBig = await tooBig.closed;

const idle = open(strictUrl);
await idle.opened;
await idle.next();
const idleSince = Date.now();
seen.idle = await idle.closed;
seen.idleMillis = Date.now() - idleSince;

console.log(JSON.stringify(seen));
