/**
 * A session's tokens in a file store: sealed, never plaintext, readable after
 * a restart with the same key, expired with the session.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  createBroker,
  FileSessionStore,
  MemorySessionStore,
  type SessionStore,
} from "../../../mod.ts";
import { crmProviders } from "./_crm.ts";

const KEY = "test privacy key, 16+ characters";

async function filesText(dir: string): Promise<string> {
  let text = "";
  for await (const entry of Deno.readDir(dir)) {
    text += await Deno.readTextFile(join(dir, entry.name));
  }
  return text;
}

Deno.test("FileSessionStore keeps a session's tokens sealed, and a restarted broker with the key resolves them", async () => {
  const dir = await Deno.makeTempDir();
  const sent: unknown[] = [];
  try {
    {
      await using broker = await createBroker({
        pool: { size: 1 },
        providers: crmProviders(sent),
        privacy: { tokenize: ["email", "phone"], key: KEY },
        sessions: { store: new FileSessionStore({ dir }) },
      });
      const run = await broker.execute("await crm.list_customers({})", {
        session: "s1",
      });
      assert.equal(run.ok, true);
    }
    const stored = await filesText(dir);
    assert.ok(stored.length > 1000, "the tokens were stored");
    assert.doesNotMatch(stored, /@example\.com|user7|555 010|EMAIL_/);

    {
      await using broker = await createBroker({
        pool: { size: 1 },
        providers: crmProviders(sent),
        privacy: { tokenize: ["email", "phone"], key: KEY },
        sessions: { store: new FileSessionStore({ dir }) },
      });
      await broker.execute('await mail.send({ to: "[EMAIL_7]" })', {
        session: "s1",
      });
    }
    assert.deepEqual(sent, [{ to: "user7@example.com" }]);

    await using wrongKey = await createBroker({
      pool: { size: 1 },
      providers: crmProviders(sent),
      privacy: { tokenize: ["email"], key: "some other key of 16+ chars" },
      sessions: { store: new FileSessionStore({ dir }) },
    });
    const refused = await wrongKey.execute(
      'await mail.send({ to: "[EMAIL_7]" })',
      { session: "s1" },
    );
    assert.deepEqual(!refused.ok && refused.error, {
      code: "internal_error",
      message:
        "Privacy tokens of the session cannot be loaded: Stored privacy tokens cannot be decrypted (privacy.key changed?)",
    });
    assert.equal(sent.length, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Broker.execute() forgets a session's tokens when the session expires", async () => {
  let now = 1_000_000;
  const dir = await Deno.makeTempDir();
  const sent: unknown[] = [];
  try {
    await using broker = await createBroker({
      pool: { size: 1 },
      providers: crmProviders(sent),
      privacy: { tokenize: ["email"], key: KEY },
      sessions: {
        store: new FileSessionStore({ dir, now: () => now }),
        ttlMs: 60_000,
      },
    });
    await broker.execute("await crm.list_customers({})", { session: "s" });
    now += 61_000;
    await broker.execute('await mail.send({ to: "[EMAIL_7]" })', {
      session: "s",
    });
    assert.deepEqual(sent, [{ to: "[EMAIL_7]" }]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Broker.execute() shows no token when the session's tokens cannot be saved", async () => {
  const store = new MemorySessionStore();
  const failing: SessionStore = {
    get: (session, key) => store.get(session, key),
    set: (session, key, value, limits) =>
      session.endsWith("#privacy")
        ? Promise.reject(new Error("disk full"))
        : store.set(session, key, value, limits),
    delete: (session, key) => store.delete(session, key),
    keys: (session) => store.keys(session),
    touch: (session, ttlMs) => store.touch(session, ttlMs),
  };
  await using broker = await createBroker({
    pool: { size: 1 },
    providers: crmProviders([]),
    privacy: { tokenize: ["email"] },
    sessions: { store: failing },
  });
  const run = await broker.execute("await crm.list_customers({})", {
    session: "s",
  });
  assert.deepEqual(!run.ok && run.error, {
    code: "internal_error",
    message: "Privacy tokens of the session cannot be saved: disk full",
  });
  assert.doesNotMatch(JSON.stringify(run), /EMAIL|@/);
});
