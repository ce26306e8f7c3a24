/**
 * {@linkcode RedisKeyValueStore}: the key-value seam on Redis, shared by
 * several replicas, on the `ioredis` client (Deno and Node.js).
 *
 * @module
 */

import { Redis } from "ioredis";
import { ExecboxError } from "../errors.ts";
import {
  type KeyValueSetOptions,
  type KeyValueStore,
  type KeyValueStoreStatus,
  storeUnavailable,
} from "./key_value_store.ts";

/** Options for {@linkcode RedisKeyValueStore}. */
export interface RedisKeyValueStoreOptions {
  /** The server: `redis://[user:password@]host:port[/db]` or `rediss://` for TLS. */
  url: string;
  /**
   * Put before every key, so several deployments share one Redis.
   * @default {"execbox:"}
   */
  prefix?: string;
  /**
   * Let {@linkcode RedisKeyValueStore.connect} succeed while Redis is
   * unreachable: the broker starts degraded (runs that use state fail) and
   * the client keeps reconnecting.
   * @default {false}
   */
  optional?: boolean;
  /**
   * How long one command may take before it fails, in milliseconds.
   * @default {5000}
   */
  commandTimeoutMs?: number;
}

// KEYS[1] key; ARGV: hasExpected, expected, hasNext, next, ttlMs (0: none,
// -1: keep the current expiry).
const _CAS = `
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '0' then
  if current then return 0 end
elseif current ~= ARGV[2] then
  return 0
end
if ARGV[3] == '0' then
  redis.call('DEL', KEYS[1])
elseif tonumber(ARGV[5]) > 0 then
  redis.call('SET', KEYS[1], ARGV[4], 'PX', ARGV[5])
elseif tonumber(ARGV[5]) < 0 then
  redis.call('SET', KEYS[1], ARGV[4], 'KEEPTTL')
else
  redis.call('SET', KEYS[1], ARGV[4])
end
return 1
`;

/**
 * A {@linkcode KeyValueStore} on Redis. Compare-and-set is one Lua script, so
 * it is atomic across every replica; expiry is Redis's own (`PX`). Commands
 * fail at once while the connection is down (no offline queue, so nothing is
 * written late), and the client reconnects by itself.
 *
 * @example Share a key between two replicas
 * ```ts ignore
 * import { RedisKeyValueStore } from "./redis_key_value_store.ts";
 *
 * const store = new RedisKeyValueStore({ url: "redis://127.0.0.1:6379" });
 * await store.connect();
 * await store.set("greeting", "hello", { ttlMs: 60_000 });
 * await store.close();
 * ```
 */
export class RedisKeyValueStore implements KeyValueStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #optional: boolean;
  readonly #url: string;
  #up = false;
  #closed = false;

  /**
   * Creates the client; it connects on {@linkcode RedisKeyValueStore.connect}.
   *
   * @param options The server, the key prefix and whether it is optional.
   * @throws {TypeError} When `url` is not a `redis:` or `rediss:` URL.
   */
  constructor(options: RedisKeyValueStoreOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      url = new URL("invalid:");
    }
    if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
      throw new TypeError(
        `Store URL must start with redis:// or rediss://, got "${url.protocol}"`,
      );
    }
    // Only the host is ever shown: the URL may carry a password.
    this.#url = `${url.protocol}//${url.host}`;
    this.#prefix = options.prefix ?? "execbox:";
    this.#optional = options.optional ?? false;
    this.#redis = new Redis(options.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? 5000,
      connectTimeout: 5000,
      retryStrategy: (times) => Math.min(100 * times, 2000),
    });
    this.#redis.on("ready", () => this.#up = true);
    this.#redis.on("close", () => this.#up = false);
    // Without a listener an error event would be thrown; status() shows it.
    this.#redis.on("error", () => {});
    this.#redis.defineCommand("execboxCas", { numberOfKeys: 1, lua: _CAS });
  }

  /**
   * Connects and checks Redis answers.
   *
   * @returns Once connected (or at once when optional and unreachable).
   * @throws {ExecboxError} Code `internal_error` when Redis is unreachable
   * and the store is not optional.
   */
  async connect(): Promise<void> {
    try {
      await this.#redis.connect();
      await this.#redis.ping();
    } catch (error) {
      if (this.#optional) return; // The client keeps reconnecting.
      this.#redis.disconnect();
      throw new ExecboxError(
        "internal_error",
        `Cannot connect to the store at ${this.#url}: ${
          error instanceof Error ? error.message : String(error)
        }`,
        { cause: error },
      );
    }
  }

  /**
   * The value of `key`.
   *
   * @param key The key (without the prefix).
   * @returns The value, or `undefined`.
   */
  get(key: string): Promise<string | undefined> {
    return this.#call(async (redis) =>
      (await redis.get(this.#prefix + key)) ?? undefined
    );
  }

  /**
   * Sets `key`.
   *
   * @param key The key.
   * @param value The value.
   * @param options The expiry.
   * @returns Once set.
   */
  set(
    key: string,
    value: string,
    options: KeyValueSetOptions = {},
  ): Promise<void> {
    return this.#call(async (redis) => {
      if (options.keepTtl) {
        await redis.set(this.#prefix + key, value, "KEEPTTL");
      } else if (options.ttlMs === undefined) {
        await redis.set(this.#prefix + key, value);
      } else {
        await redis.set(this.#prefix + key, value, "PX", _ttl(options.ttlMs));
      }
    });
  }

  /**
   * Removes `key`.
   *
   * @param key The key.
   * @returns Whether it existed.
   */
  delete(key: string): Promise<boolean> {
    return this.#call(async (redis) =>
      (await redis.del(this.#prefix + key)) > 0
    );
  }

  /**
   * The keys starting with `prefix`, found with `SCAN` (never `KEYS`).
   *
   * @param prefix The prefix (without the store's own).
   * @returns The keys, sorted, without the store's prefix.
   */
  list(prefix: string): Promise<string[]> {
    return this.#call(async (redis) => {
      const pattern = _glob(this.#prefix + prefix) + "*";
      const found = new Set<string>();
      let cursor = "0";
      do {
        const [next, keys] = await redis.scan(
          cursor,
          "MATCH",
          pattern,
          "COUNT",
          500,
        );
        cursor = next;
        for (const key of keys) found.add(key.slice(this.#prefix.length));
      } while (cursor !== "0");
      return [...found].sort();
    });
  }

  /**
   * Sets or removes `key` when its value is `expected`, in one Lua script.
   *
   * @param key The key.
   * @param expected The value it must have; `undefined`: absent.
   * @param next The new value; `undefined` removes it.
   * @param options The expiry.
   * @returns Whether it was changed.
   */
  compareAndSet(
    key: string,
    expected: string | undefined,
    next: string | undefined,
    options: KeyValueSetOptions = {},
  ): Promise<boolean> {
    return this.#call(async (redis) => {
      const cas = (redis as unknown as {
        execboxCas(...args: (string | number)[]): Promise<number>;
      }).execboxCas;
      const done = await cas.call(
        redis,
        this.#prefix + key,
        expected === undefined ? "0" : "1",
        expected ?? "",
        next === undefined ? "0" : "1",
        next ?? "",
        options.keepTtl
          ? -1
          : options.ttlMs === undefined
          ? 0
          : _ttl(options.ttlMs),
      );
      return done === 1;
    });
  }

  /**
   * Whether Redis is connected now.
   *
   * @returns `{ name: "redis", up }`.
   */
  status(): KeyValueStoreStatus {
    return { name: "redis", up: this.#up };
  }

  /**
   * Closes the connection and stops reconnecting.
   *
   * @returns Once closed.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      if (this.#redis.status === "ready") await this.#redis.quit();
    } catch {
      // Closing anyway.
    }
    this.#redis.disconnect();
  }

  async #call<T>(operation: (redis: Redis) => Promise<T>): Promise<T> {
    try {
      // Used without connect() (a CLI command): connect on first use.
      if (this.#redis.status === "wait") await this.connect();
      return await operation(this.#redis);
    } catch (error) {
      throw storeUnavailable("redis", error);
    }
  }
}

// PX needs a whole number of at least 1.
function _ttl(ttlMs: number): number {
  return Math.max(1, Math.ceil(ttlMs));
}

function _glob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
