/**
 * The local S3 pod's front: an HTTP proxy on the S3 port that forwards every request to the
 * S3 server on loopback, and applies the fault set through its control port (local/s3/fault.ts):
 * S3 error answers, connections reset mid-transfer, responses held past a client's timeout, or
 * the bucket's directory moved away so that the real server answers NoSuchBucket. With no fault
 * it only forwards: headers (and so request signatures) pass through unchanged.
 *
 * With --cert and --key it serves HTTPS (the server certificate the local cluster issues for
 * the S3 Service), re-reading the files when they change.
 *
 *   node fault-proxy.js --listen 7070 --backend 7071 --control 7079 --cert tls.crt --key tls.key --data /var/lib/versitygw --bucket steward
 */
import { existsSync, readFileSync, renameSync, statSync } from "node:fs";
import { createServer, request, type IncomingMessage, type RequestListener, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { faultApplies, s3ErrorBody, S3FaultRequestSchema, type S3FaultMode, type S3FaultState } from "./fault.js";

const { values } = parseArgs({
  options: { listen: { type: "string" }, backend: { type: "string" }, control: { type: "string" }, cert: { type: "string" }, key: { type: "string" }, data: { type: "string" }, bucket: { type: "string" } },
});
const listenPort = Number(values.listen ?? 7070);
const backendPort = Number(values.backend ?? 7071);
const controlPort = Number(values.control ?? 7079);
const dataDir = values.data ?? "/var/lib/versitygw";
const bucket = values.bucket ?? "steward";

let fault: S3FaultMode = { mode: "none" };
let rate = 1;
let untilMs: number | undefined;
let requests = 0;
let faulted = 0;
let expiry: NodeJS.Timeout | undefined;

const bucketDir = join(dataDir, bucket);
const hiddenBucketDir = join(dataDir, `.${bucket}.steward-fault-missing`);

function setBucketPresent(present: boolean): void {
  const [from, to] = present ? [hiddenBucketDir, bucketDir] : [bucketDir, hiddenBucketDir];
  if (existsSync(from) && !existsSync(to)) renameSync(from, to);
}

function applyFault(next: S3FaultMode, nextRate: number, forSeconds?: number): void {
  clearTimeout(expiry);
  setBucketPresent(next.mode !== "missing-bucket");
  fault = next;
  rate = nextRate;
  untilMs = forSeconds === undefined ? undefined : Date.now() + forSeconds * 1000;
  if (untilMs !== undefined) expiry = setTimeout(() => applyFault({ mode: "none" }, 1), forSeconds! * 1000);
  log(`fault: ${JSON.stringify(fault)} rate ${rate}${forSeconds === undefined ? "" : ` for ${forSeconds} s`}`);
}

function state(): S3FaultState {
  return { fault, rate, until: untilMs === undefined ? undefined : new Date(untilMs).toISOString(), requests, faulted };
}

function log(line: string): void {
  console.log(`${new Date().toISOString()} ${line}`);
}

function forward(req: IncomingMessage, res: ServerResponse, dropAfter?: number): void {
  let relayed = 0;
  const count = (bytes: number) => {
    relayed += bytes;
    // The reset a flaky network or a dying load balancer gives: no response, no FIN.
    if (dropAfter !== undefined && relayed >= dropAfter) {
      req.socket.destroy();
      upstream.destroy();
    }
  };
  const upstream = request({ host: "127.0.0.1", port: backendPort, method: req.method, path: req.url, headers: req.headers }, (response) => {
    res.writeHead(response.statusCode ?? 502, response.headers);
    response.on("data", (chunk: Buffer) => count(chunk.length));
    response.pipe(res);
  });
  upstream.on("error", (error) => {
    if (!res.headersSent) res.writeHead(502).end(String(error));
    else res.destroy();
  });
  req.on("data", (chunk: Buffer) => count(chunk.length));
  req.pipe(upstream);
  if (dropAfter === 0) count(0);
}

// A proxy killed while the bucket was hidden left it hidden: the fault does not outlive it.
setBucketPresent(true);

const handle: RequestListener = (req, res) => {
  requests++;
  const hit = faultApplies({ fault, rate, untilMs }, Date.now(), Math.random());
  if (!hit) return forward(req, res);
  faulted++;
  switch (fault.mode) {
    case "errors": {
      req.resume();
      const body = s3ErrorBody(fault.status, req.url ?? "/");
      res.writeHead(fault.status, { "content-type": "application/xml", "content-length": Buffer.byteLength(body) }).end(body);
      return;
    }
    case "drop":
      return forward(req, res, fault.afterBytes);
    case "slow": {
      const timer = setTimeout(() => forward(req, res), fault.delayMs);
      req.socket.once("close", () => clearTimeout(timer));
      return;
    }
    default:
      return forward(req, res);
  }
};

/** HTTP, or HTTPS with the given files, picking up a renewed certificate within 10 s. */
function frontServer() {
  const { cert, key } = values;
  if (!cert || !key) return createServer(handle);
  const read = () => ({ cert: readFileSync(cert), key: readFileSync(key) });
  const server = createTlsServer(read(), handle);
  let seen = statSync(cert).mtimeMs;
  setInterval(() => {
    try {
      const changed = statSync(cert).mtimeMs;
      if (changed === seen) return;
      server.setSecureContext(read());
      seen = changed;
      log("reloaded the server certificate");
    } catch (error) {
      log(`cannot reload the server certificate yet: ${String(error)}`);
    }
  }, 10_000).unref();
  return server;
}

const proxy = frontServer();
// Uploads of 16 MiB parts over a slow link: no server-side timeout of our own.
proxy.requestTimeout = 0;
proxy.headersTimeout = 60_000;
proxy.listen(listenPort, () => log(`forwarding :${listenPort} (${values.cert ? "HTTPS" : "HTTP"}) to 127.0.0.1:${backendPort}; control on :${controlPort}`));

const control = createServer((req, res) => {
  const reply = (status: number, body: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  if (req.url !== "/fault") return reply(404, { error: "only /fault" });
  if (req.method === "GET") return reply(200, state());
  if (req.method !== "PUT") return reply(405, { error: "GET or PUT" });
  let text = "";
  req.on("data", (chunk) => (text += String(chunk)));
  req.on("end", () => {
    let parsed;
    try {
      parsed = S3FaultRequestSchema.safeParse(JSON.parse(text));
    } catch (error) {
      return reply(400, { error: `not JSON: ${String(error)}` });
    }
    if (!parsed.success) return reply(400, { error: parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ") });
    try {
      applyFault(parsed.data.fault, parsed.data.rate, parsed.data.forSeconds);
    } catch (error) {
      return reply(500, { error: `cannot apply: ${String(error)}` });
    }
    reply(200, state());
  });
});
control.listen(controlPort);

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    // Leave the bucket where the server expects it whatever fault was on.
    setBucketPresent(true);
    proxy.close();
    control.close();
    process.exit(0);
  });
}
