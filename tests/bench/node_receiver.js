// node_receiver.js - the benchmark's reference receiver: what InstaLeap's docs
// suggest (Node's http + crypto.createHmac), verifying the same V1 / V3
// signatures as chatbell (SPEC 3) and answering 200. Started by run.sh.
// Standard library only. Usage: node node_receiver.js [PORT]  (0 = ephemeral)
// Secret: CHATBELL_SECRET, else the simulator's demo secret.
'use strict';

const http = require('http');
const crypto = require('crypto');

const SECRET = process.env.CHATBELL_SECRET || 'chatbell-demo-secret';
const BODY_MAX = 16384;
const port = Number(process.argv[2] || 0);

function hmacHex(s) {
  return crypto.createHmac('sha256', SECRET).update(s, 'utf8').digest('hex');
}

// Case-insensitive, constant-time; short values are left-padded with zeros
// (the Java sample drops leading zeros), as chatbell does.
function hexEqual(expected, got) {
  if (typeof got !== 'string' || got.length > 64 || !/^[0-9a-fA-F]+$/.test(got)) return false;
  const a = Buffer.from(expected, 'latin1');
  const b = Buffer.from(got.toLowerCase().padStart(64, '0'), 'latin1');
  return crypto.timingSafeEqual(a, b);
}

const str = (v) => (typeof v === 'string' ? v : '');

// Returns null when the signature holds, else the error code.
function checkSignature(headers, ev) {
  const v3 = headers['instaleap-signature-v3'];
  if (v3 !== undefined) {
    let t;
    let hex;
    const m = /^t=([^,]*),v3=([0-9a-fA-F]*)$/.exec(v3);
    if (m) {
      t = m[1];
      hex = m[2];
    } else {
      hex = v3;
      t = typeof ev.timestamp === 'string' ? ev.timestamp : str(ev.created_at);
    }
    const s = `${t}&${str(ev.client_id)}&${str(ev.sender)}&${str(ev.job_id)}`;
    return hexEqual(hmacHex(s), hex) ? null : 'invalid_signature';
  }
  const v1 = headers['instaleap-signature'];
  if (v1 !== undefined) {
    const s = `${str(ev.id)}&${str(ev.created_at)}&${str(ev.type)}`;
    return hexEqual(hmacHex(s), v1) ? null : 'invalid_signature';
  }
  return 'missing_signature';
}

function reply(res, status, obj) {
  const body = JSON.stringify(obj);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

function handle(req, res, raw) {
  let ev;
  try {
    ev = JSON.parse(raw.toString('utf8'));
  } catch (e) {
    return reply(res, 400, { error: 'invalid_json', message: 'The body is not JSON.' });
  }
  if (!ev || typeof ev !== 'object' || Array.isArray(ev))
    return reply(res, 400, { error: 'invalid_json', message: 'The body is not one object.' });
  for (const f of ['job_id', 'notification_message', 'sender', 'created_at']) {
    if (typeof ev[f] !== 'string' || (f === 'job_id' && ev[f] === ''))
      return reply(res, 400, { error: 'invalid_event', message: 'A field is missing.', field: f });
  }
  const bad = checkSignature(req.headers, ev);
  if (bad === 'missing_signature')
    return reply(res, 401, { error: bad, message: 'No signature header.' });
  if (bad) return reply(res, 401, { error: bad, message: 'The signature does not match.' });
  return reply(res, 200, { status: 'accepted' });
}

const server = http.createServer((req, res) => {
  if (req.method !== 'POST') return reply(res, 405, { error: 'method_not_allowed' });
  const chunks = [];
  let size = 0;
  req.on('data', (c) => {
    size += c.length;
    if (size <= BODY_MAX) chunks.push(c);
  });
  req.on('end', () => {
    if (size > BODY_MAX) return reply(res, 413, { error: 'body_too_large' });
    return handle(req, res, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
  });
});
// keep-alive connections stay open for the whole run, as with chatbell
server.keepAliveTimeout = 30000;
server.headersTimeout = 35000;
server.listen(port, '127.0.0.1', () => {
  const a = server.address();
  console.log(`node receiver listening on http://${a.address}:${a.port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.on('SIGINT', () => process.exit(0));
