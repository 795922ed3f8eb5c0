import { buildApp } from "fauxqs";
const app = buildApp({ logger: false, defaultRegion: "us-east-1" });
app.addHook("onRequest", async (req) => { console.error(req.method, req.url, JSON.stringify(req.headers["content-type"]), req.headers["content-length"]); });
app.addHook("preHandler", async (req) => { if (req.method==="POST" && req.url.includes("delete")) console.error(String(req.body)); });
await app.listen({ host: "127.0.0.1", port: 45991 });
setTimeout(() => app.close(), 40000);
