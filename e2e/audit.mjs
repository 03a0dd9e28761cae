// Audits a GraphQL endpoint against the GraphQL-over-HTTP spec with graphql-http's
// auditServer, prints one line per audit and a summary, and exits 1 when any audit is a
// warning (a failed SHOULD) or an error (a failed MUST). Notices (failed MAYs) are printed
// but do not fail the run.
//
//   node e2e/audit.mjs http://127.0.0.1:8080/graphql
//
// The Go test internal/server TestGraphQLOverHTTPAudit runs it against a test server.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <graphql-url>');
  process.exit(2);
}
try {
  new URL(url);
} catch {
  console.error(`audit: not a URL: ${url}`);
  process.exit(2);
}

// Bodies longer than this are cut in the report: a failure needs the gist, not a dump.
const maxBody = 2000;

async function describeResponse(res) {
  if (!res) return '(no response)';
  const headers = {};
  for (const [key, value] of res.headers.entries()) {
    if (key !== 'date') headers[key] = value;
  }
  let body;
  try {
    body = await res.text();
  } catch (err) {
    body = `(body unavailable: ${err.message})`;
  }
  if (body.length > maxBody) body = body.slice(0, maxBody) + '...';
  // JSON-quoted, so a multi-line body stays on the result's line.
  return `HTTP ${res.status} ${res.statusText} headers=${JSON.stringify(headers)} body=${JSON.stringify(body)}`;
}

let results;
try {
  results = await auditServer({ url });
} catch (err) {
  // auditServer throws only on fatal problems, such as a server that cannot be reached.
  console.error(`audit: could not audit ${url}: ${err?.cause?.message ?? err?.message ?? err}`);
  process.exit(1);
}

const counts = { ok: 0, warn: 0, error: 0, notice: 0 };
// Failures last and worst last, so the end of the output is what needs fixing.
const rank = { ok: 0, notice: 1, warn: 2, error: 3 };
results.sort((a, b) => rank[a.status] - rank[b.status]);
for (const result of results) {
  counts[result.status] = (counts[result.status] ?? 0) + 1;
  let line = `${result.status.padEnd(6)} ${result.id} ${result.name}`;
  if (result.status !== 'ok') {
    line += ` | reason: ${result.reason} | response: ${await describeResponse(result.response)}`;
  }
  console.log(line);
}
console.log(
  `audit: ${counts.ok} ok, ${counts.warn} warn, ${counts.error} error, ${counts.notice} notice`,
);
process.exit(counts.warn > 0 || counts.error > 0 ? 1 : 0);
