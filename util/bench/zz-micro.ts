import http from "node:http";
import { fork } from "node:child_process";
import { ApiGatewayManagementApiClient, PostToConnectionCommand } from "@aws-sdk/client-apigatewaymanagementapi";
import { NodeHttpHandler } from "@smithy/node-http-handler";

if (process.argv[2] === "server") {
  const s = http.createServer((req, res) => { req.resume(); req.on("end", () => { res.writeHead(200, { "content-length": 0 }); res.end(); }); });
  s.keepAliveTimeout = 60000;
  s.listen(0, "127.0.0.1", () => process.send!((s.address() as any).port));
} else {
  const child = fork(new URL(import.meta.url).pathname, ["server"], { execArgv: ["--import", "tsx"] });
  const port: number = await new Promise((r) => child.once("message", r as any));
  const endpoint = `http://127.0.0.1:${port}/local`;
  const creds = { accessKeyId: "a", secretAccessKey: "b" };
  const data = new TextEncoder().encode(JSON.stringify({ bench: "x", pad: "x".repeat(100) }));
  const N = Number(process.env.N ?? 5000), C = 100;
  const mk = (extra: any = {}) => new ApiGatewayManagementApiClient({ endpoint, region: "us-east-1", credentials: creds, maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ httpAgent: new http.Agent({ keepAlive: true, maxSockets: C }), requestTimeout: 3000, throwOnRequestTimeout: true }), ...extra });
  async function measure(name: string, send: (id: string) => Promise<unknown>) {
    for (let i = 0; i < 300; i++) await send("warm" + i);
    const c0 = process.cpuUsage(); const t0 = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: C }, async () => { while (next < N) { const i = next++; await send(`id-${i}=`); } }));
    const c = process.cpuUsage(c0); const ms = performance.now() - t0;
    console.log(`${name.padEnd(40)} wall ${ms.toFixed(0).padStart(6)} ms  cpu/call ${((c.user + c.system) / N / 1000).toFixed(3)} ms`);
  }
  const variants = (process.env.V ?? "default,core,cache,trim,bare").split(",");
  for (const v of variants) {
    if (v === "default") { const c = new ApiGatewayManagementApiClient({ endpoint, region: "us-east-1", credentials: creds }); await measure(v, (id) => c.send(new PostToConnectionCommand({ ConnectionId: id, Data: data }))); }
    if (v === "core") { const c = mk(); await measure(v, (id) => { const ac = new AbortController(); const t = setTimeout(() => ac.abort(), 3000); return c.send(new PostToConnectionCommand({ ConnectionId: id, Data: data }), { abortSignal: ac.signal }).finally(() => clearTimeout(t)); }); }
    if (v === "cache") { const c = mk({ cacheMiddleware: true }); await measure(v, (id) => c.send(new PostToConnectionCommand({ ConnectionId: id, Data: data }))); }
    if (v === "trim") { const c = mk({ cacheMiddleware: true }); for (const m of ["loggerMiddleware", "recursionDetectionMiddleware", "getUserAgentMiddleware", "retryMiddleware"]) c.middlewareStack.remove(m); await measure(v, (id) => c.send(new PostToConnectionCommand({ ConnectionId: id, Data: data }))); }
    if (v === "bare") { const agent = new http.Agent({ keepAlive: true, maxSockets: C }); await measure(v, (id) => new Promise<void>((res, rej) => { const r = http.request({ agent, method: "POST", host: "127.0.0.1", port, path: `/local/@connections/${encodeURIComponent(id)}`, headers: { "content-length": data.byteLength } }, (x) => { x.resume(); x.on("end", res); }); r.on("error", rej); r.end(data); })); }
  }
  child.kill();
}
