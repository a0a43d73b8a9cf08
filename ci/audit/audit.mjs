// audit.mjs runs the graphql-http conformance audits (GraphQL over HTTP
// spec: https://graphql.github.io/graphql-over-http/) against a server.
//
//   node audit.mjs http://127.0.0.1:8080/graphql
//
// It prints every audit (requirement, status, id, name, and the reason and
// response status of any that did not pass) and exits 1 when any MUST audit
// failed, 2 on a usage or fatal error. SHOULD/MAY failures are reported but
// do not fail the run: the spec makes them recommendations.
//
// Against a server with SHOPMUSE_API_KEYS set, give a key in
// SHOPMUSE_AUDIT_API_KEY; it is sent as Authorization: Bearer <key>.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url || !/^https?:\/\//.test(url)) {
  console.error('usage: node audit.mjs <http(s)://host:port/graphql>');
  process.exit(2);
}

// Every audit request goes through fetchFn, so a key added here reaches all.
const key = process.env.SHOPMUSE_AUDIT_API_KEY;
const fetchFn = key
  ? (input, init = {}) => {
      const headers = new Headers(init.headers);
      headers.set('authorization', `Bearer ${key}`);
      return fetch(input, { ...init, headers });
    }
  : undefined;

let results;
try {
  results = await auditServer({ url, ...(fetchFn ? { fetchFn } : {}) });
} catch (err) {
  // auditServer throws only on fatal problems, such as an unreachable server.
  console.error(`audit: fatal: ${err && err.stack ? err.stack : err}`);
  process.exit(2);
}

// The requirement level is the first word of the audit name ("MUST ...").
const level = (r) => r.name.split(' ', 1)[0];
const counts = {};
const mustFailures = [];
for (const r of results) {
  const key = `${level(r)} ${r.status}`;
  counts[key] = (counts[key] || 0) + 1;
  let line = `${r.status.padEnd(6)} ${r.id.padEnd(5)} ${r.name}`;
  if (r.status !== 'ok') {
    const ct = r.response?.headers?.get?.('content-type') ?? '';
    line += `\n       reason: ${r.reason}`;
    if (r.response) line += `\n       response: HTTP ${r.response.status}${ct ? `, content-type ${ct}` : ''}`;
    if (r.status === 'error' && level(r) === 'MUST') mustFailures.push(r);
  }
  console.log(line);
}

console.log('');
console.log(`summary: ${results.length} audits; ` +
  Object.keys(counts).sort().map((k) => `${k}: ${counts[k]}`).join(', '));
if (mustFailures.length > 0) {
  console.log(`FAIL: ${mustFailures.length} MUST audit(s) failed: ` +
    mustFailures.map((r) => r.id).join(', '));
  process.exit(1);
}
console.log('PASS: every MUST audit passed');
