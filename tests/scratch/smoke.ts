import { createBroker } from "../../mod.ts";
const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) =>
  Response.json({ auth: req.headers.get("authorization"), path: new URL(req.url).pathname }, { headers: { "x-echo": req.headers.get("authorization") ?? "" } }));
const origin = `http://127.0.0.1:${server.addr.port}`;
const broker = await createBroker({ pool: { size: 1 }, network: { allow: [{ origin, headers: { authorization: "Bearer sekret-123" } }] } });
try {
  console.log(await broker.execute(`const r = await fetch("${origin}/x"); return { s: r.status, h: [...r.headers], b: await r.json(), url: r.url }`));
  console.log(await broker.execute(`await fetch("http://localhost:${server.addr.port}/x")`));
  console.log(await broker.execute(`try { await fetch("http://localhost:${server.addr.port}/x") } catch (e) { return [e.name, e.message, e instanceof TypeError] }`));
  console.log(broker.types());
} finally { await broker.close(); await server.shutdown(); }
