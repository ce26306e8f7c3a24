import assert from "node:assert/strict";
import { join } from "node:path";
import { ExecboxError } from "../../../broker/errors.ts";
import { FileSessionStore } from "../../../broker/state/session_file_store.ts";
import {
  MemorySessionStore,
  type SessionLimits,
  type SessionStore,
} from "../../../broker/state/session_store.ts";
import { FileKeyValueStore } from "../../../broker/store/file_key_value_store.ts";
import { KvSessionStore } from "../../../broker/store/kv_session_store.ts";
import { MemoryKeyValueStore } from "../../../broker/store/memory_key_value_store.ts";

const LIMITS: SessionLimits = { maxBytes: 4096, ttlMs: 1000 };

// The clock every store under test reads; each test sets it.
interface _Clock {
  now: number;
}

interface _Factory {
  name: string;
  use(
    clock: _Clock,
    body: (store: SessionStore) => Promise<void>,
  ): Promise<void>;
}

const FACTORIES: _Factory[] = [
  {
    name: "MemorySessionStore",
    async use(clock, body) {
      const store = new MemorySessionStore({ now: () => clock.now });
      try {
        await body(store);
      } finally {
        await store.close();
      }
    },
  },
  {
    name: "FileSessionStore",
    async use(clock, body) {
      const dir = await Deno.makeTempDir();
      const store = new FileSessionStore({ dir, now: () => clock.now });
      try {
        await body(store);
      } finally {
        await store.close();
        await Deno.remove(dir, { recursive: true });
      }
    },
  },
  {
    // The same semantics on the key-value seam (Redis: tests/broker/store).
    name: "KvSessionStore(MemoryKeyValueStore)",
    async use(clock, body) {
      const kv = new MemoryKeyValueStore({ now: () => clock.now });
      try {
        await body(new KvSessionStore(kv));
      } finally {
        await kv.close();
      }
    },
  },
  {
    name: "KvSessionStore(FileKeyValueStore)",
    async use(clock, body) {
      const dir = await Deno.makeTempDir();
      const kv = new FileKeyValueStore({ dir, now: () => clock.now });
      try {
        await body(new KvSessionStore(kv));
      } finally {
        await kv.close();
        await Deno.remove(dir, { recursive: true });
      }
    },
  },
];

for (const { name, use } of FACTORIES) {
  Deno.test(`${name} gets, sets, deletes and lists keys`, async () => {
    await use({ now: 0 }, async (store) => {
      assert.equal(await store.get("s", "a"), undefined);
      assert.deepEqual(await store.keys("s"), []);
      assert.equal(await store.delete("s", "a"), false);

      await store.set("s", "a", 1, LIMITS);
      await store.set("s", "b", { nested: [true, null, "x"] }, LIMITS);
      await store.set("s", "a", 2, LIMITS);
      assert.equal(await store.get("s", "a"), 2);
      assert.deepEqual(await store.get("s", "b"), {
        nested: [true, null, "x"],
      });
      assert.equal(await store.get("s", "missing"), undefined);
      assert.deepEqual(await store.keys("s"), ["a", "b"]);

      assert.equal(await store.delete("s", "a"), true);
      assert.equal(await store.delete("s", "a"), false);
      assert.equal(await store.get("s", "a"), undefined);
      assert.deepEqual(await store.keys("s"), ["b"]);
      assert.equal(await store.delete("s", "b"), true);
      assert.deepEqual(await store.keys("s"), []);
    });
  });

  Deno.test(`${name}.keys() lists keys in insertion order, integer-like ones included`, async () => {
    await use({ now: 0 }, async (store) => {
      for (const key of ["b", "a", "10", "2", "z"]) {
        await store.set("s", key, key, LIMITS);
      }
      await store.set("s", "b", "again", LIMITS); // keeps its place
      assert.deepEqual(await store.keys("s"), ["b", "a", "10", "2", "z"]);
      await store.delete("s", "a");
      await store.set("s", "a", "back", LIMITS); // goes to the end
      assert.deepEqual(await store.keys("s"), ["b", "10", "2", "z", "a"]);
    });
  });

  Deno.test(`${name} keeps "__proto__" and "constructor" as plain keys`, async () => {
    await use({ now: 0 }, async (store) => {
      const value = JSON.parse('{"__proto__": {"polluted": true}}');
      await store.set("s", "__proto__", value, LIMITS);
      await store.set("s", "constructor", 1, LIMITS);

      assert.deepEqual(await store.keys("s"), ["__proto__", "constructor"]);
      assert.equal(await store.get("s", "constructor"), 1);
      const read = await store.get("s", "__proto__") as object;
      assert.equal(Object.getPrototypeOf(read), Object.prototype);
      assert.deepEqual(Object.keys(read), ["__proto__"]);
      assert.deepEqual(
        Object.getOwnPropertyDescriptor(read, "__proto__")?.value,
        {
          polluted: true,
        },
      );
      assert.equal(Object.hasOwn(Object.prototype, "polluted"), false);
      // Keys Object.prototype has are absent, not inherited.
      assert.equal(await store.get("s", "toString"), undefined);
      assert.equal(await store.get("s", "hasOwnProperty"), undefined);
      assert.equal(await store.delete("s", "toString"), false);
      // The size counts "__proto__" as the own key it is.
      const exact =
        '{"__proto__":{"__proto__":{"polluted":true}},"constructor":1}';
      await assert.rejects(
        store.set("s", "constructor", 12, {
          maxBytes: new TextEncoder().encode(exact).length,
          ttlMs: 1000,
        }),
        { code: "limit_exceeded" },
      );
    });
  });

  Deno.test(`${name} stores and returns copies, not references`, async () => {
    await use({ now: 0 }, async (store) => {
      const value = { n: 1, list: [1] };
      const pending = store.set("s", "v", value, LIMITS);
      value.n = 2; // before the write has finished
      value.list.push(2);
      await pending;
      const read = await store.get("s", "v") as typeof value;
      assert.deepEqual(read, { n: 1, list: [1] });
      read.n = 3;
      read.list.push(3);
      assert.deepEqual(await store.get("s", "v"), { n: 1, list: [1] });
      assert.notEqual(await store.get("s", "v"), await store.get("s", "v"));
    });
  });

  Deno.test(`${name}.set() accepts exactly maxBytes and rejects one byte more, leaving the session unchanged`, async () => {
    await use({ now: 0 }, async (store) => {
      // {"a":"xxxxxxxxxxxx"} is 20 bytes.
      const limits = { maxBytes: 20, ttlMs: 1000 };
      await store.set("s", "a", "x".repeat(12), limits);

      const error = await store.set("s", "a", "x".repeat(13), limits).then(
        () => assert.fail("the set succeeded"),
        (error: unknown) => error,
      );
      assert.ok(error instanceof ExecboxError);
      assert.equal(error.code, "limit_exceeded");
      assert.equal(
        error.message,
        "Session state would be 21 bytes, more than the limit of 20",
      );
      await assert.rejects(store.set("s", "b", 1, limits), {
        message: "Session state would be 26 bytes, more than the limit of 20",
      });
      assert.equal(await store.get("s", "a"), "x".repeat(12));
      assert.deepEqual(await store.keys("s"), ["a"]);

      // A first write that does not fit leaves no session behind.
      await assert.rejects(store.set("t", "a", "x".repeat(13), limits), {
        code: "limit_exceeded",
      });
      assert.deepEqual(await store.keys("t"), []);
    });
  });

  Deno.test(`${name}.set() counts UTF-8 bytes, not characters`, async () => {
    await use({ now: 0 }, async (store) => {
      // {"é":"😀€"}: 1 + 4 ("é" is 2 bytes) + 1 + 9 (4 + 3 bytes) + 1.
      await assert.rejects(
        store.set("s", "é", "😀€", { maxBytes: 15, ttlMs: 1000 }),
        {
          code: "limit_exceeded",
          message: "Session state would be 16 bytes, more than the limit of 15",
        },
      );
      assert.deepEqual(await store.keys("s"), []);
      await store.set("s", "é", "😀€", { maxBytes: 16, ttlMs: 1000 });
      assert.equal(await store.get("s", "é"), "😀€");
    });
  });

  Deno.test(`${name} treats an expired session as absent`, async () => {
    const clock = { now: 1000 };
    await use(clock, async (store) => {
      await store.set("s", "a", 1, { maxBytes: 4096, ttlMs: 100 });
      clock.now = 1099;
      assert.equal(await store.get("s", "a"), 1);
      clock.now = 1100;
      assert.equal(await store.get("s", "a"), undefined);
      assert.deepEqual(await store.keys("s"), []);
      assert.equal(await store.delete("s", "a"), false);

      // Nothing comes back with the next write.
      await store.set("s", "b", 2, LIMITS);
      assert.deepEqual(await store.keys("s"), ["b"]);
      assert.equal(await store.get("s", "a"), undefined);
    });
  });

  Deno.test(`${name}.touch() and set() refresh the expiry`, async () => {
    const clock = { now: 0 };
    await use(clock, async (store) => {
      const limits = { maxBytes: 4096, ttlMs: 100 };
      await store.set("s", "a", 1, limits);
      clock.now = 90;
      await store.touch("s", 100);
      clock.now = 189;
      assert.deepEqual(await store.keys("s"), ["a"]);
      await store.set("s", "b", 2, limits);
      clock.now = 288;
      assert.deepEqual(await store.keys("s"), ["a", "b"]);
      clock.now = 289;
      assert.deepEqual(await store.keys("s"), []);

      // Touching an expired or absent session does not bring it back.
      await store.touch("s", 100);
      assert.deepEqual(await store.keys("s"), []);
      await store.touch("never", 100);
      assert.deepEqual(await store.keys("never"), []);
    });
  });

  Deno.test(`${name} keeps sessions apart`, async () => {
    const clock = { now: 0 };
    await use(clock, async (store) => {
      const limits = { maxBytes: 20, ttlMs: 100 };
      await store.set("one", "a", "x".repeat(12), limits); // full
      await store.set("two", "a", "y".repeat(12), limits); // not counted with one
      assert.equal(await store.get("one", "a"), "x".repeat(12));
      assert.equal(await store.get("two", "a"), "y".repeat(12));

      assert.equal(await store.delete("one", "a"), true);
      assert.equal(await store.get("two", "a"), "y".repeat(12));

      await store.set("one", "b", 1, limits);
      clock.now = 60;
      await store.touch("two", 100);
      clock.now = 100;
      assert.deepEqual(await store.keys("one"), []);
      assert.deepEqual(await store.keys("two"), ["a"]);
    });
  });
}

const _SESSION_FILE = /^[0-9a-f]{64}\.json$/;

async function _listDir(dir: string): Promise<string[]> {
  const names = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

async function _withDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function _sessionFile(dir: string, session: string): Promise<string> {
  // UTF-16 code units, as the store hashes them (this host is little-endian).
  const units = Uint16Array.from(session, (_, i) => session.charCodeAt(i));
  const digest = await crypto.subtle.digest("SHA-256", units);
  const hex = [...new Uint8Array(digest)]
    .map((byte) => byte.toString(16).padStart(2, "0"))
    .join("");
  return join(dir, `${hex}.json`);
}

Deno.test("FileSessionStore keeps sessions across a restart", async () => {
  await _withDir(async (dir) => {
    const clock = { now: 0 };
    const first = new FileSessionStore({ dir, now: () => clock.now });
    await first.set("s", "b", { deep: ["value"] }, LIMITS);
    await first.set("s", "a", 1, LIMITS);
    await first.close();

    const second = new FileSessionStore({ dir, now: () => clock.now });
    try {
      assert.deepEqual(await second.keys("s"), ["b", "a"]);
      assert.deepEqual(await second.get("s", "b"), { deep: ["value"] });
      clock.now = LIMITS.ttlMs; // the expiry was kept too
      assert.deepEqual(await second.keys("s"), []);
    } finally {
      await second.close();
    }
  });
});

Deno.test("FileSessionStore.set() keeps every key of concurrent writes to one session", async () => {
  await _withDir(async (dir) => {
    const store = new FileSessionStore({ dir });
    try {
      const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
      await Promise.all(keys.map((key) => store.set("s", key, key, LIMITS)));
      assert.deepEqual(await store.keys("s"), keys);

      // The last write to one key wins.
      await Promise.all(
        Array.from({ length: 10 }, (_, i) => store.set("s", "k0", i, LIMITS)),
      );
      assert.equal(await store.get("s", "k0"), 9);
    } finally {
      await store.close();
    }
    const fresh = new FileSessionStore({ dir });
    try {
      assert.equal((await fresh.keys("s")).length, 40);
    } finally {
      await fresh.close();
    }
  });
});

Deno.test("FileSessionStore names files by the SHA-256 of the id, never the id", async () => {
  await _withDir(async (parent) => {
    const dir = join(parent, "sessions");
    const ids = [
      "chat-secret",
      "../../etc/passwd",
      "/abs/path",
      "a\0b",
      "\ud800",
    ];
    const store = new FileSessionStore({ dir });
    try {
      for (const id of ids) await store.set(id, "k", id, LIMITS);
      // "\ufffd" is what UTF-8 would turn "\ud800" into: a different session.
      assert.equal(await store.get("\ufffd", "k"), undefined);
      for (const id of ids) assert.equal(await store.get(id, "k"), id);
    } finally {
      await store.close();
    }

    assert.deepEqual(await _listDir(parent), ["sessions"]);
    const names = await _listDir(dir);
    assert.equal(names.length, ids.length);
    for (const name of names) assert.match(name, _SESSION_FILE);
    for (const id of ids) {
      const file = await _sessionFile(dir, id);
      assert.ok(names.includes(file.slice(dir.length + 1)), id);
      assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
    }
    assert.equal((await Deno.stat(dir)).mode! & 0o777, 0o700);
  });
});

Deno.test("FileSessionStore reads a corrupt file as an empty session and replaces it on set", async () => {
  const corrupt = [
    "",
    "{not json",
    "null",
    "[]",
    '{"expiresAt": "soon", "entries": []}',
    '{"expiresAt": 1e15, "entries": {}}',
    '{"expiresAt": 1e15, "entries": [[1, 2]]}',
    '{"expiresAt": 1e15, "entries": [["a"]]}',
  ];
  await _withDir(async (dir) => {
    const file = await _sessionFile(dir, "s");
    for (const text of corrupt) {
      const store = new FileSessionStore({ dir });
      try {
        await Deno.writeTextFile(file, text);
        assert.equal(await store.get("s", "a"), undefined, text);
        assert.deepEqual(await store.keys("s"), [], text);
        assert.equal(await store.delete("s", "a"), false, text);
        await store.set("s", "b", 1, LIMITS);
        assert.deepEqual(await store.keys("s"), ["b"], text);
      } finally {
        await store.close();
      }
      const saved = JSON.parse(await Deno.readTextFile(file));
      assert.deepEqual(saved, {
        expiresAt: saved.expiresAt,
        entries: [["b", 1]],
      });
      assert.equal(typeof saved.expiresAt, "number");
    }
  });
});

Deno.test("FileSessionStore sweeps expired sessions and stale temporary files, and leaves other files", async () => {
  await _withDir(async (dir) => {
    const clock = { now: 0 };
    const first = new FileSessionStore({ dir, now: () => clock.now });
    await first.set("old", "a", 1, { maxBytes: 4096, ttlMs: 10 });
    await first.set("live", "a", 1, { maxBytes: 4096, ttlMs: 120_000 });
    await first.close();
    const oldFile = await _sessionFile(dir, "old");
    const stale = `${oldFile}.123e4567-e89b-12d3-a456-426614174000.tmp`;
    await Deno.writeTextFile(stale, "{");
    await Deno.writeTextFile(join(dir, "notes.txt"), "mine");

    // A new store sweeps on its first write, and then not again for a while.
    clock.now = 20;
    const second = new FileSessionStore({ dir, now: () => clock.now });
    await second.set("new", "a", 1, LIMITS);
    await second.close(); // waits for the sweep
    const files = await _listDir(dir);
    assert.ok(!files.includes(oldFile.slice(dir.length + 1)));
    assert.ok(!files.includes(stale.slice(dir.length + 1)));
    assert.deepEqual(files.filter((name) => !_SESSION_FILE.test(name)), [
      "notes.txt",
    ]);
    assert.equal(files.length, 3); // live, new, notes.txt

    clock.now = 1020; // "new" has expired, but the last sweep was recent
    await second.set("other", "a", 1, LIMITS);
    await second.close();
    assert.ok((await _listDir(dir)).includes(
      (await _sessionFile(dir, "new")).slice(dir.length + 1),
    ));
    clock.now = 60_020;
    await second.touch("live", 120_000);
    await second.close();
    assert.equal((await _listDir(dir)).length, 2); // live, notes.txt
  });
});

Deno.test("FileSessionStore reports an unusable directory without its path", async () => {
  await _withDir(async (parent) => {
    const dir = join(parent, "taken");
    await Deno.writeTextFile(dir, "a file, not a directory");
    const store = new FileSessionStore({ dir });
    try {
      for (
        const operation of [store.set("s", "a", 1, LIMITS), store.get("s", "a")]
      ) {
        const error = await operation.then(
          () => assert.fail("the operation succeeded"),
          (error: unknown) => error,
        );
        assert.ok(error instanceof ExecboxError);
        assert.equal(error.code, "internal_error");
        assert.equal(error.message, "Cannot read session state: ENOTDIR");
        assert.ok(error.cause instanceof Error);
      }
    } finally {
      await store.close();
    }
  });
});
