/**
 * Where a run's tokens live: a fresh map for a run without a session, or its
 * session's map, loaded from the session store (sealed with AES-256-GCM),
 * shared by the runs of that session in flight, and saved after each run.
 *
 * @module
 */

import { positiveInteger } from "../limits.ts";
import type { SessionStore } from "../state/session_store.ts";
import {
  compileDetectors,
  type Detector,
  type DetectorSpec,
} from "./detectors.ts";
import { RunPrivacy } from "./run_privacy.ts";
import { importTokenKey, openTokens, sealTokens } from "./token_crypto.ts";
import { TokenMap } from "./token_map.ts";

/** PII tokenization between tools (`BrokerOptions.privacy`). */
export interface PrivacyOptions {
  /**
   * What to tokenize in what leaves a run (result, logs, error messages):
   * built-in detectors (`"email"`, `"phone"`, `"credit_card"`, `"iban"`,
   * `"ipv4"`) and named custom patterns (`{ name: "employee_id", pattern:
   * "E-\\d{6}" }`). Empty turns tokenization off.
   * @default {[]}
   */
  tokenize?: DetectorSpec[];
  /**
   * The most distinct values one scope (a session, or a run without one) may
   * hold; a run that would need more ends with `limit_exceeded`,
   * `limit: "privacyTokens"`, and nothing untokenized leaves it.
   * @default {10000}
   */
  maxTokens?: number;
  /**
   * The secret (16 characters or more) that seals a session's tokens in the
   * session store with AES-256-GCM. Without it a random key is made per
   * process, so tokens do not survive a restart.
   * @default {a random key per process}
   */
  key?: string;
}

/** A run's hold on its scope. */
export interface PrivacyLease {
  /** Tokenizes and detokenizes for the run. */
  privacy: RunPrivacy;
  /**
   * Saves the scope's new tokens and lets go of it; later calls do nothing.
   *
   * @throws {Error} When the session store fails to save them.
   */
  close(): Promise<void>;
}

/** The session store and expiry that a session's tokens share. */
export interface PrivacyStore {
  /** The session store. */
  store: SessionStore;
  /** How long a session lives after its last run, in milliseconds. */
  ttlMs: number;
}

const _KEY = "tokens";
// A sealed map is about 4/3 of its JSON; values are at most a few KiB.
const _BYTES_PER_TOKEN = 8_192;

interface _Shared {
  map: TokenMap;
  users: number;
  saving: Promise<void>;
}

/** Token scopes of one broker. */
export class PrivacyScopes {
  readonly #detectors: readonly Detector[];
  readonly #maxTokens: number;
  readonly #secrets: readonly string[];
  readonly #key: Promise<CryptoKey>;
  readonly #shared = new Map<string, Promise<_Shared>>();

  /**
   * Compiles the detectors and imports the key.
   *
   * @param options The `privacy` options, with at least one detector.
   * @param secrets Values redacted before tokenizing.
   * @throws {TypeError} On a bad detector or key.
   * @throws {RangeError} On a bad `maxTokens`.
   */
  constructor(options: PrivacyOptions, secrets: readonly string[] = []) {
    this.#detectors = compileDetectors(options.tokenize ?? []);
    this.#maxTokens = positiveInteger(
      options.maxTokens,
      10_000,
      "privacy.maxTokens",
    );
    this.#secrets = secrets;
    const key = options.key;
    if (key !== undefined && (typeof key !== "string" || key.length < 16)) {
      throw new TypeError(
        `Privacy key must be a string of at least 16 characters, got ${
          typeof key === "string" ? `${key.length} characters` : typeof key
        }`,
      );
    }
    this.#key = importTokenKey(key);
    // Awaited by the first session that needs it; never unhandled before.
    this.#key.catch(() => {});
  }

  /**
   * Opens the scope of a run: its session's tokens, or new run-scoped ones.
   *
   * @param session The session's id in the store (caller and session), or
   * `undefined` for a run without a session.
   * @param store Where sessions live.
   * @returns The lease; close it when the run ends.
   * @throws {Error} When the stored tokens cannot be read or decrypted.
   */
  async open(
    session: string | undefined,
    store: PrivacyStore,
  ): Promise<PrivacyLease> {
    if (session === undefined) {
      const privacy = this.#privacy(new TokenMap(this.#maxTokens));
      return { privacy, close: () => Promise.resolve() };
    }
    const id = `${session}#privacy`;
    let loading = this.#shared.get(id);
    if (loading === undefined) {
      loading = this.#load(id, store);
      this.#shared.set(id, loading);
      loading.catch(() => this.#shared.delete(id));
    }
    const shared = await loading;
    shared.users++;
    await store.store.touch(id, store.ttlMs);
    let closed = false;
    return {
      privacy: this.#privacy(shared.map),
      close: async () => {
        if (closed) return;
        closed = true;
        const saved = shared.saving.then(() => this.#save(id, shared, store));
        shared.saving = saved.catch(() => {});
        try {
          await saved;
        } finally {
          if (--shared.users === 0) this.#shared.delete(id);
        }
      },
    };
  }

  #privacy(map: TokenMap): RunPrivacy {
    return new RunPrivacy(this.#detectors, map, this.#secrets);
  }

  async #load(id: string, store: PrivacyStore): Promise<_Shared> {
    const sealed = await store.store.get(id, _KEY);
    const entries = sealed === undefined
      ? []
      : await openTokens(await this.#key, id, sealed);
    return {
      map: new TokenMap(this.#maxTokens, entries),
      users: 0,
      saving: Promise.resolve(),
    };
  }

  async #save(id: string, shared: _Shared, store: PrivacyStore): Promise<void> {
    if (!shared.map.changed) return;
    const entries = shared.map.entries();
    const sealed = await sealTokens(await this.#key, id, entries);
    await store.store.set(id, _KEY, sealed, {
      maxBytes: (this.#maxTokens + 1) * _BYTES_PER_TOKEN,
      ttlMs: store.ttlMs,
    });
  }
}
