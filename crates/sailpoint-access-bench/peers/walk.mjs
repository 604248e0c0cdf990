// Walks every access-request status with the TypeScript SDK, for
// `cargo xtask bench --peers`.
//
// Configured only through the SDK's environment variables (SAIL_BASE_URL
// without /v3, SAIL_CLIENT_ID, SAIL_CLIENT_SECRET); the package is resolved
// from PEERS_NODE_PREFIX (the `npm install --prefix` directory). Prints one
// JSON line starting with {"peer": as the last line of stdout.
//
//     node walk.mjs --expected N [--mode paginator|token-supplied]
//
// The SDK's Paginator.paginate over listAccessRequestStatus, pages of 250, no
// overall limit. paginator: `new Configuration()` from the environment, the
// SDK fetches the token itself (a multipart/form-data POST to
// {SAIL_BASE_URL}/oauth/token). token-supplied: this script fetches the token
// (an application/x-www-form-urlencoded POST to the same URL) and passes it
// as `accessToken` with `baseurl`, the SDK's documented alternative.

import { createRequire } from "node:module";
import { resourceUsage } from "node:process";
import path from "node:path";

const PAGE = 250;
const args = process.argv.slice(2);
const expected = Number(args[args.indexOf("--expected") + 1]);
const mode = args.includes("--mode") ? args[args.indexOf("--mode") + 1] : "paginator";
const report = { peer: "typescript", mode, expected, items: 0, errors: [], outcome: "clean" };
const t0 = performance.now();

function finish(started) {
  const end = performance.now();
  if (started !== undefined) report.walk_s = (end - started) / 1000;
  report.process_s = (end - t0) / 1000;
  if (report.outcome !== "failed") {
    if (report.errors.length > 0 && report.items === 0) report.outcome = "failed";
    else if (report.items < report.expected) report.outcome = "lost";
  }
  report.self_max_rss_kib = resourceUsage().maxRSS;
  process.stdout.write("\n" + JSON.stringify(report) + "\n");
}

function describe(e) {
  const status = e?.response?.status;
  const cause = String(e?.message ?? e);
  if (!status && cause.includes("status code")) return { kind: "Error", message: cause.slice(0, 300) };
  const body = e?.response?.data ? JSON.stringify(e.response.data) : "";
  return { kind: status ? `HTTP ${status}` : (e?.name ?? "error"), message: `${e?.message ?? e} ${body}`.slice(0, 300) };
}

async function main() {
  let sdk;
  try {
    const prefix = process.env.PEERS_NODE_PREFIX ?? ".";
    const require = createRequire(path.resolve(prefix, "package.json"));
    sdk = require("sailpoint-api-client");
    report.version = require("sailpoint-api-client/package.json").version;
  } catch (e) {
    report.errors.push({ kind: "import", message: String(e).slice(0, 300) });
    report.outcome = "failed";
    return finish();
  }
  report.import_s = (performance.now() - t0) / 1000;
  let configuration;
  if (mode === "token-supplied") {
    const base = process.env.SAIL_BASE_URL;
    const form = new URLSearchParams({
      grant_type: "client_credentials",
      client_id: process.env.SAIL_CLIENT_ID,
      client_secret: process.env.SAIL_CLIENT_SECRET,
    });
    const response = await fetch(`${base}/oauth/token`, { method: "POST", body: form });
    const token = (await response.json()).access_token;
    configuration = new sdk.Configuration({ baseurl: base, accessToken: token });
  } else {
    configuration = new sdk.Configuration(); // reads SAIL_*, starts the token fetch
  }
  const api = new sdk.AccessRequestsApi(configuration);
  try {
    await configuration.accessToken; // the token before the clock, as for the others
  } catch (e) {
    report.errors.push({ ...describe(e), kind: "token" });
    report.outcome = "failed";
    return finish();
  }
  const started = performance.now();
  try {
    const result = await sdk.Paginator.paginate(api, api.listAccessRequestStatus, { limit: 0 }, PAGE);
    report.items = result.data.length;
  } catch (e) {
    report.errors.push(describe(e));
  }
  finish(started);
}

main().catch((e) => {
  report.errors.push(describe(e));
  report.outcome = "failed";
  finish();
});
