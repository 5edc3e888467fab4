/**
 * The client on the node: opens a new TCP connection for every request (HTTP GET, `Connection:
 * close`) every `--interval` ms, round-robin over the targets, and prints one JSON line per request:
 *
 *   {"at": 1764430000123.4, "ms": 1.2, "target": "http://10.96.0.10:8080/", "answer": "web-0", "error": null}
 *
 * `at` is when the connection was opened, in ms since the epoch (performance.timeOrigin + now, so
 * comparable with the same clock in other processes); `answer` the body of a 2xx answer;
 * `error` a short code (ECONNREFUSED, ETIMEDOUT, HTTP 503...) otherwise. Runs until `--count`
 * requests are done (0: until SIGTERM). A request that hangs is cut after `--timeout` ms; slow
 * requests never delay the next one.
 *
 *   node prober.ts --target URL [--target URL ...] [--interval 10] [--timeout 1000] [--count 0]
 */
import { get } from "node:http";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    target: { type: "string", multiple: true, default: [] },
    interval: { type: "string", default: "10" },
    timeout: { type: "string", default: "1000" },
    count: { type: "string", default: "0" },
  },
});
const targets = values.target;
const intervalMs = Number(values.interval);
const timeoutMs = Number(values.timeout);
const count = Number(values.count);
if (targets.length === 0 || !(intervalMs > 0) || !(timeoutMs > 0) || !(count >= 0)) {
  process.stderr.write("usage: prober.ts --target URL [--interval MS] [--timeout MS] [--count N]\n");
  process.exit(2);
}

const now = () => performance.timeOrigin + performance.now();
let sent = 0;
let done = 0;

function report(at: number, target: string, answer: string | null, error: string | null) {
  process.stdout.write(`${JSON.stringify({ at, ms: now() - at, target, answer, error })}\n`);
  done++;
  if (count > 0 && done >= count) process.exit(0);
}

function probe(target: string) {
  const at = now();
  let settled = false;
  const settle = (answer: string | null, error: string | null) => {
    if (settled) return;
    settled = true;
    report(at, target, answer, error);
  };
  const request = get(
    target,
    { agent: false, headers: { connection: "close" }, timeout: timeoutMs },
    (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        body += chunk;
      });
      response.on("end", () => {
        const ok = (response.statusCode ?? 0) >= 200 && (response.statusCode ?? 0) < 300;
        settle(ok ? body : null, ok ? null : `HTTP ${response.statusCode}`);
      });
      response.on("error", (error: NodeJS.ErrnoException) => settle(null, error.code ?? error.message));
    },
  );
  request.on("timeout", () => {
    settle(null, "ETIMEDOUT");
    request.destroy();
  });
  request.on("error", (error: NodeJS.ErrnoException) => settle(null, error.code ?? error.message));
}

const timer = setInterval(() => {
  if (count > 0 && sent >= count) {
    clearInterval(timer);
    return;
  }
  probe(targets[sent % targets.length] as string);
  sent++;
}, intervalMs);
process.once("SIGTERM", () => process.exit(0));
