/**
 * A real `redis-server` for the tests: started on a free loopback port with
 * its own temporary directory, stopped (and restarted on the same port) on
 * demand. Tests that need it skip, with a visible message, only when the
 * binary cannot be found.
 */

/** The `redis-server` binary, or `undefined` when it is not installed. */
export const redisServerPath: string | undefined = _find();

/** Why Redis tests are skipped, printed once; `undefined` when they run. */
export const redisSkipReason: string | undefined = redisServerPath
  ? undefined
  : "redis-server not found (apt-get install -y redis-server): Redis tests skipped";

// A skip must be seen, not only counted.
// deno-lint-ignore no-console
if (redisSkipReason) console.warn(`WARNING: ${redisSkipReason}`);

function _find(): string | undefined {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      const path = `${dir}/redis-server`;
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // Not there.
    }
  }
  for (const path of ["/usr/bin/redis-server", "/usr/sbin/redis-server"]) {
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // Not there.
    }
  }
  return undefined;
}

/** A running Redis; stop it with `await using` or `close()`. */
export interface TestRedis extends AsyncDisposable {
  /** `redis://127.0.0.1:<port>`. */
  url: string;
  port: number;
  /** Stops the server (the port stays reserved for `start`). */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  close(): Promise<void>;
}

/** Starts a `redis-server` on a free loopback port. */
export async function startRedis(): Promise<TestRedis> {
  if (!redisServerPath) throw new Error(redisSkipReason);
  const dir = await Deno.makeTempDir({ prefix: "execbox-redis-" });
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  let child: Deno.ChildProcess | undefined;
  const start = async () => {
    child = new Deno.Command(redisServerPath!, {
      args: [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        dir,
        "--save",
        "",
        "--appendonly",
        "no",
        "--protected-mode",
        "yes",
      ],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    // Ready when it says so: no polling, no sleeps.
    const reader = child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    let seen = "";
    while (!seen.includes("Ready to accept connections")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`redis-server exited early: ${seen}`);
      seen += value;
    }
    // Keep draining so the server never blocks on a full pipe.
    (async () => {
      while (!(await reader.read()).done) { /* drain */ }
    })().catch(() => {});
  };
  const stop = async () => {
    if (!child) return;
    const c = child;
    child = undefined;
    try {
      c.kill("SIGTERM");
    } catch {
      // Already gone.
    }
    await c.status;
  };
  await start();
  const close = async () => {
    await stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    start,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * Waits until `condition` holds (a connection state that changes on an event
 * of the client), checking every 20 ms for at most 20 s.
 */
export async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("Condition not met in 20 s");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
