/**
 * The guest Worker's prelude: the first code in the realm where guest code runs.
 *
 * It captures everything it will use later (the channel to the runtime's main
 * thread, the function constructor, JSON, `Deno.inspect`, the methods of
 * String, Map, Promise, typed arrays, TextEncoder and TextDecoder), removes
 * every global that reaches the operating system, persists, or starts a fresh
 * realm, installs `console` and the tool namespaces, then compiles the guest's
 * code and reports how it ended. Guest code may replace any intrinsic or put
 * getters and setters on any prototype: after the lockdown, the prelude calls
 * only what it captured, reads each guest value once, and never reads a
 * property the guest could have planted.
 *
 * Messages from the main thread arrive through the inbox (`inbox.ts`), shared
 * memory the main thread hands over before any guest code exists. Message
 * events cannot be trusted once guest code runs: their `isTrusted` flag and target are writable symbol-keyed fields,
 * and Deno builds a `MessageEvent` with ordinary property writes and reads,
 * so a guest setter on `Object.prototype` can read or replace any message's
 * data.
 *
 * `workerMain` is self-contained: the broker injects its source with
 * `Function.prototype.toString`, so it must not reference anything outside
 * its own body and parameters.
 *
 * @module
 */

import type { createGuestConsole } from "./console.ts";
import type { createGuestFetch } from "./fetch.ts";
import type { readInbox } from "./inbox.ts";
import type { createPieceAssembler } from "./piece_assembler.ts";
import type { JsonEncoder, JsonEncoderOptions } from "./json.ts";
import type { GuestErrorCode, LogLevel, SkillSource } from "./protocol.ts";

/**
 * Headers of the messages the main thread writes into the inbox; each has a
 * payload as text.
 */
export type ToWorkerMessage =
  /** Payload: none. */
  | { type: "warm" }
  /** Payload: each skill's prepared code, in order, then the run's code. */
  | {
    type: "exec";
    namespaces: Record<string, string[]>;
    methods: Record<string, string[]>;
    maxLogBytes: number;
    fetch: boolean;
    skills: SkillSource[];
  }
  /**
   * Payload: the tool's value as JSON text, empty for `undefined`; with
   * `text`, the value is a string and the payload is the string itself.
   */
  | { type: "result"; id: number; ok: true; text?: true }
  /**
   * Payload: the last piece of a tool result sent in `pieces` pieces (a JSON
   * array of its last elements); the earlier ones came as `piece` messages.
   */
  | { type: "result"; id: number; ok: true; pieces: number }
  /** Payload: a piece of a tool result, a JSON array of its next elements. */
  | { type: "piece"; id: number }
  /** Payload: the error message. */
  | {
    type: "result";
    id: number;
    ok: false;
    code: "tool_error" | "validation_error";
    tool: string;
  };

/** Messages the guest Worker posts to the main thread. */
export type FromWorkerMessage =
  | { type: "booted" }
  | { type: "ready" }
  | {
    type: "call";
    id: number;
    ns: string;
    name: string;
    json: string;
    skill?: string;
  }
  | { type: "log"; level: LogLevel; message: string }
  | { type: "done"; json: string | undefined }
  | { type: "fail"; code: GuestErrorCode; message: string };

/** What the runtime script passes to {@linkcode workerMain}. */
export interface WorkerDeps {
  /** The factory from `json.ts`. */
  createJsonEncoder: (
    maxDepth: number,
    options?: JsonEncoderOptions,
  ) => JsonEncoder;
  /** The factory from `console.ts`. */
  createGuestConsole: typeof createGuestConsole;
  /** The inbox reader from `inbox.ts`. */
  readInbox: typeof readInbox;
  /** The factory from `fetch.ts`. */
  createGuestFetch: typeof createGuestFetch;
  /** The factory from `piece_assembler.ts`. */
  createPieceAssembler: typeof createPieceAssembler;
  /** `FETCH_NAMESPACE` from `protocol.ts`. */
  fetchNamespace: string;
  /** Nesting limit for values crossing the boundary. */
  maxJsonDepth: number;
}

/**
 * Globals removed from the guest realm: everything that reaches the OS or the
 * network, persists between runs, starts a realm that would still have `Deno`,
 * belongs to the channel to the main thread, or is a Node.js global that
 * peer code-mode executors do not offer either.
 */
export const REMOVED_GLOBALS: readonly string[] = [
  "Deno",
  "process",
  "Buffer",
  "global",
  "setImmediate",
  "clearImmediate",
  "Worker",
  "SharedWorker",
  "fetch",
  "WebSocket",
  "WebSocketStream",
  "EventSource",
  "XMLHttpRequest",
  "localStorage",
  "sessionStorage",
  "caches",
  "Cache",
  "CacheStorage",
  "BroadcastChannel",
  "navigator",
  "Navigator",
  "WorkerNavigator",
  "NavigatorUAData",
  "Lock",
  "LockManager",
  "postMessage",
  "close",
  "onmessage",
  "onmessageerror",
  "importScripts",
];

/**
 * Runs inside the guest Worker. Never returns control to guest code until the
 * realm is locked down.
 *
 * @param deps Injected helpers.
 * @param removed The globals to remove ({@linkcode REMOVED_GLOBALS}).
 */
export function workerMain(deps: WorkerDeps, removed: readonly string[]): void {
  const scope = globalThis as unknown as Record<string, unknown>;
  const post = (scope.postMessage as (m: FromWorkerMessage) => void).bind(
    globalThis,
  );
  const listen = EventTarget.prototype.addEventListener.bind(globalThis);
  const inspect = (globalThis as unknown as {
    Deno: { inspect(v: unknown, o: object): string };
  }).Deno.inspect;
  const encode = deps.createJsonEncoder(deps.maxJsonDepth, { readOnce: true });
  const pieces = deps.createPieceAssembler();
  const apply = Reflect.apply;
  const parse = JSON.parse;
  const defineProperty = Object.defineProperty;
  const freeze = Object.freeze;
  const getPrototypeOf = Object.getPrototypeOf;
  const hasOwn = Object.hasOwn;
  const ErrorCtor = Error;
  const errorIsError =
    (Error as unknown as { isError?: (v: unknown) => boolean })
      .isError;
  const isError = typeof errorIsError === "function"
    ? errorIsError
    : (value: unknown) => value instanceof ErrorCtor;
  const StringCtor = String;
  const SyntaxErrorCtor = SyntaxError;
  const SyntaxErrorPrototype = SyntaxError.prototype;
  const PromiseCtor = Promise;
  const promiseReject = Promise.reject;
  const promiseThen = Promise.prototype.then;
  const FunctionCtor = Function as unknown as new (
    ...parameters: string[]
  ) => (...args: unknown[]) => unknown;
  const AsyncFunctionCtor = (async function () {}).constructor as new (
    ...parameters: string[]
  ) => (...args: unknown[]) => Promise<unknown>;
  const slice = String.prototype.slice;
  const startsWith = String.prototype.startsWith;
  const endsWith = String.prototype.endsWith;
  const mapGet = Map.prototype.get;
  const mapSet = Map.prototype.set;
  const mapDelete = Map.prototype.delete;
  const weakGet = WeakMap.prototype.get;
  const weakSet = WeakMap.prototype.set;
  const typedArrayLength = Object.getOwnPropertyDescriptor(
    Object.getPrototypeOf(Uint8Array.prototype),
    "length",
  )!.get!;
  const textEncoder = new TextEncoder();
  const encodeText = TextEncoder.prototype.encode;
  const preventDefault = Event.prototype.preventDefault;
  // Made now, while the intrinsics it captures are still the realm's own;
  // installed only for a run the broker allows some origins.
  const guestFetch = deps.createGuestFetch((request) =>
    callTool(deps.fetchNamespace, deps.fetchNamespace, request, undefined)
  );
  // Null prototypes: Deno reads more options than these two.
  const describeOptions = { __proto__: null, colors: false, depth: 2 };
  const logOptions = { __proto__: null, colors: false, depth: 4 };

  // Errors the prelude itself created, with what ended the run, so a failure
  // never trusts a code or message the guest could change on the object.
  const ownErrors = new WeakMap<
    object,
    { code: GuestErrorCode; message: string }
  >();
  const MAX_MESSAGE_CHARS = 4096;
  // Descriptors, options and records the prelude makes after guest code has
  // run have null prototypes: a guest may put `get`, `value` or anything else
  // on Object.prototype.
  const pending = new Map<
    number,
    { resolve(v: unknown): void; reject(e: unknown): void }
  >();
  let nextId = 1;
  let phase: "booting" | "booted" | "warming" | "running" = "booting";
  let finished = false;
  let maxLogBytes = 0;
  let logBytes = 0;

  function descriptor(value: unknown): PropertyDescriptor {
    const fields = {
      __proto__: null,
      value,
      writable: true,
      configurable: true,
    };
    return fields;
  }

  const cut = (text: string, chars: number): string =>
    text.length > chars ? apply(slice, text, [0, chars]) : text;

  function ownError(code: GuestErrorCode, text: string): Error {
    const error = new ErrorCtor(text);
    defineProperty(error, "code", descriptor(code));
    apply(weakSet, ownErrors, [error, { code, message: text }]);
    return error;
  }

  function describe(error: unknown): string {
    try {
      if (isError(error)) {
        // A guest's getters run once each; String() bounds what they return.
        const name = StringCtor((error as Error).name);
        const text = StringCtor((error as Error).message);
        return text === "" ? name : `${name}: ${text}`;
      }
      const shown = inspect(error, describeOptions);
      return typeof shown === "string"
        ? `Uncaught ${shown}`
        : "Uncaught exception that could not be described";
    } catch {
      return "Uncaught exception that could not be described";
    }
  }

  function fail(code: GuestErrorCode, text: string): void {
    if (finished) return;
    finished = true;
    // The broker keeps 4096 characters; sending more only costs a copy.
    post({ type: "fail", code, message: cut(text, MAX_MESSAGE_CHARS) });
  }

  function failWith(error: unknown): void {
    const own = error !== null && typeof error === "object"
      ? apply(weakGet, ownErrors, [error])
      : undefined;
    // The prelude's own errors already say what failed; a name adds nothing.
    if (own !== undefined) fail(own.code, own.message);
    else fail("runtime_error", describe(error));
  }

  // --- Lock the realm down before any guest code exists. ---
  for (let i = 0; i < removed.length; i++) {
    const name = removed[i]!;
    for (
      let o: object | null = globalThis;
      o !== null;
      o = getPrototypeOf(o)
    ) {
      if (hasOwn(o, name)) delete (o as Record<string, unknown>)[name];
    }
    if (name in globalThis) {
      throw new ErrorCtor(`execbox prelude could not remove "${name}"`);
    }
  }
  // WebGPU reaches a device driver; none of it is useful without `navigator`.
  for (const name of Object.getOwnPropertyNames(globalThis)) {
    if (name.startsWith("GPU")) delete scope[name];
  }

  // Forward at most one character past the cap; the broker truncates and
  // marks. Bytes are counted with captured methods: a guest may redefine
  // TypedArray.prototype.length.
  function emit(level: LogLevel, text: string): void {
    if (finished || logBytes > maxLogBytes) return;
    const entry = cut(text, maxLogBytes - logBytes + 1);
    logBytes += apply(
      typedArrayLength,
      apply(encodeText, textEncoder, [entry]),
      [],
    );
    post({ type: "log", level, message: entry });
  }
  defineProperty(globalThis, "console", {
    value: deps.createGuestConsole(
      emit,
      (value) => inspect(value, logOptions),
    ),
    writable: true,
    configurable: true,
  });

  function callTool(
    ns: string,
    name: string,
    input: unknown,
    skill: string | undefined,
  ): Promise<unknown> {
    let json: string;
    try {
      json = encode(input === undefined ? {} : input, "input") ?? "{}";
    } catch (error) {
      const text = encode.cannotSerialize(error) ?? describe(error);
      return apply(promiseReject, PromiseCtor, [
        ownError("serialization_error", `${text} (in a call to ${ns}.${name})`),
      ]);
    }
    const id = nextId++;
    return new PromiseCtor((resolve, reject) => {
      apply(mapSet, pending, [id, { resolve, reject }]);
      post(
        skill === undefined
          ? { type: "call", id, ns, name, json }
          : { type: "call", id, ns, name, json, skill },
      );
    });
  }

  type Members = {
    [name: string]: Members | ((...args: unknown[]) => unknown);
  };
  let namespaceNames: string[] = [];
  let installedNamespaces: Record<string, string[]> = {};
  let installedMethods: Record<string, string[]> = {};
  // Saved skills by name: their prepared code, then their compiled function.
  const skillCode = new Map<string, string>();
  const skillFunctions = new Map<
    string,
    (...args: unknown[]) => Promise<unknown>
  >();

  // One namespace's members. `skill` tags the calls made through them, so
  // the audit record can say which skill made a call (a tag the broker treats
  // as untrusted: guest code can reach the untagged globals too).
  function namespaceMembers(ns: string, skill: string | undefined): Members {
    const members: Members = {};
    for (const name of installedNamespaces[ns] ?? []) {
      members[name] = (input?: unknown) => callTool(ns, name, input, skill);
    }
    // `$resources.read(uri)`: nested objects, positional arguments.
    for (const path of installedMethods[ns] ?? []) {
      const parts = path.split(".");
      let target = members;
      for (const part of parts.slice(0, -1)) {
        target = (target[part] ??= {}) as Members;
      }
      target[parts[parts.length - 1]!] = (...args: unknown[]) =>
        callTool(ns, path, args, skill);
    }
    if (ns === "skills") {
      for (const name of skillCode.keys()) {
        members[name] = (args?: unknown) => callSkill(name, args);
      }
    }
    const freezeDeep = (object: Members): Members => {
      for (const value of Object.values(object)) {
        if (typeof value === "object") freezeDeep(value);
      }
      return freeze(object);
    };
    return freezeDeep(members);
  }

  function install(
    namespaces: Record<string, string[]>,
    methods: Record<string, string[]>,
  ): void {
    installedNamespaces = namespaces;
    installedMethods = methods;
    const names = new Set([
      ...Object.keys(namespaces),
      ...Object.keys(methods),
      ...(skillCode.size > 0 ? ["skills"] : []),
    ]);
    namespaceNames = [...names];
    for (const ns of names) {
      defineProperty(globalThis, ns, {
        value: namespaceMembers(ns, undefined),
        writable: false,
        configurable: false,
        enumerable: false,
      });
    }
  }

  // A skill is compiled on its first call: an async function of `args`
  // inside a function of its own copies of the namespaces, whose calls carry
  // its name. Nested, so the skill's code may declare a name a namespace has
  // (`const memory = ...`), as a run's code may. Its code parsed as one
  // function body when it was saved; closing it early would only reach the
  // outer function, in the same realm.
  function skillFunction(
    name: string,
  ): (...args: unknown[]) => Promise<unknown> {
    const known = apply(mapGet, skillFunctions, [name]);
    if (known !== undefined) return known;
    const js = apply(mapGet, skillCode, [name]);
    if (
      typeof js !== "string" || !apply(startsWith, js, [PREFIX]) ||
      !apply(endsWith, js, [SUFFIX])
    ) {
      throw new SyntaxErrorCtor("Prepared code is not one async function");
    }
    const body = apply(slice, js, [PREFIX.length, js.length - SUFFIX.length]);
    // Names strict code cannot bind stay globals.
    const params = namespaceNames.filter((ns) =>
      ns !== "arguments" && ns !== "eval"
    );
    const outer = new FunctionCtor(
      ...params,
      `"use strict";return async function (args) {${body}\n};`,
    );
    const fn = outer(
      ...params.map((ns) => namespaceMembers(ns, name)),
    ) as (args: unknown) => Promise<unknown>;
    apply(mapSet, skillFunctions, [name, fn]);
    return fn;
  }

  // A skill is code, not a tool call: it runs here, in this run, with this
  // run's tools and limits. What it throws is rethrown naming the skill.
  async function callSkill(name: string, args: unknown): Promise<unknown> {
    try {
      return await skillFunction(name)(args);
    } catch (error) {
      const own = error !== null && typeof error === "object"
        ? apply(weakGet, ownErrors, [error])
        : undefined;
      const wrapped = ownError(
        own?.code ?? "runtime_error",
        `Skill "${name}" failed: ${own?.message ?? describe(error)}`,
      );
      defineProperty(wrapped, "skill", descriptor(name));
      defineProperty(wrapped, "cause", descriptor(error));
      throw wrapped;
    }
  }

  // The body of the broker's `(async function () {...})`, compiled by the
  // function constructor: V8 parses it as one function body on its own, so
  // nothing in it (an HTML-like comment, a stray `})`) can close the function
  // early and run at the top level in sloppy mode.
  const PREFIX = "(async function () {";
  const SUFFIX = "})";
  function compile(js: string): () => Promise<unknown> {
    if (
      !apply(startsWith, js, [PREFIX]) || !apply(endsWith, js, [SUFFIX])
    ) {
      throw new SyntaxErrorCtor("Prepared code is not one async function");
    }
    return new AsyncFunctionCtor(
      apply(slice, js, [PREFIX.length, js.length - SUFFIX.length]),
    ) as () => Promise<unknown>;
  }

  // Never rejects: whatever guest code does, the run ends with done or fail.
  async function run(code: string): Promise<void> {
    let fn: () => Promise<unknown>;
    try {
      fn = compile(code);
    } catch (error) {
      // No guest code has run yet: the error is V8's own.
      const syntax = error !== null && typeof error === "object" &&
        getPrototypeOf(error) === SyntaxErrorPrototype;
      fail(syntax ? "syntax_error" : "runtime_error", describe(error));
      return;
    }
    try {
      let value: unknown;
      try {
        value = await fn();
      } catch (error) {
        failWith(error);
        return;
      }
      if (finished) return;
      let json: string | undefined;
      try {
        json = encode(value, "result");
      } catch (error) {
        // The encoder's own error says where; a getter, trap or toJSON that
        // threw is described like any guest error.
        fail(
          "serialization_error",
          encode.cannotSerialize(error) ?? describe(error),
        );
        return;
      }
      if (finished) return;
      finished = true;
      post({ type: "done", json });
    } catch (error) {
      failWith(error);
    }
  }

  function handle(header: ToWorkerMessage, payload: string): void {
    if (header.type === "warm") {
      if (phase !== "booted") return;
      phase = "warming";
      // Every process serves one run, so whatever runs first runs cold. Take
      // the paths a run takes once now, while the pool fills, not during a run.
      const warmup = compile(
        '(async function () {"use strict";return ({ a: [1, "b", null] });\n})',
      );
      apply(promiseThen, warmup(), [(value: unknown) => {
        encode(value, "result");
        post({ type: "ready" });
      }]);
      return;
    }
    if (header.type === "exec") {
      if (phase !== "warming") return;
      phase = "running";
      maxLogBytes = header.maxLogBytes;
      // The skills' code comes first in the payload, then the run's own.
      let at = 0;
      for (const skill of header.skills) {
        apply(mapSet, skillCode, [
          skill.name,
          apply(slice, payload, [at, at + skill.chars]),
        ]);
        at += skill.chars;
      }
      install(header.namespaces, header.methods);
      if (header.fetch) {
        defineProperty(globalThis, "fetch", {
          __proto__: null,
          value: guestFetch,
          writable: true,
          configurable: true,
        } as PropertyDescriptor);
      }
      void run(apply(slice, payload, [at]));
      return;
    }
    const call = apply(mapGet, pending, [header.id]);
    if (call === undefined) return;
    if (header.type === "piece") {
      pieces.add(header.id, payload);
      return;
    }
    apply(mapDelete, pending, [header.id]);
    // Decoded once, then parsed once, here in the guest's Worker: the main
    // thread only moved the bytes.
    if (header.ok) {
      // Own properties only: a guest may have put `pieces` or `text` on
      // Object.prototype. A result in pieces was parsed as they came.
      if (hasOwn(header, "pieces")) {
        const value = pieces.finish(
          header.id,
          payload,
          (header as { pieces: number }).pieces,
        );
        if (typeof value === "string") {
          call.reject(ownError("tool_error", value));
        } else call.resolve(value);
        return;
      }
      const isText = hasOwn(header, "text") &&
        (header as { text?: unknown }).text === true;
      call.resolve(
        isText ? payload : payload === "" ? undefined : parse(payload),
      );
    } else {
      pieces.drop(header.id);
      const error = ownError(header.code, payload);
      defineProperty(error, "tool", descriptor(header.tool));
      call.reject(error);
    }
  }

  listen("message", (event: Event) => {
    if (phase !== "booting") return;
    // The first message, before any guest code exists: the inbox. After it,
    // message events carry nothing the prelude reads.
    deps.readInbox(
      (event as MessageEvent).data,
      (header, payload) => handle(header as ToWorkerMessage, payload),
    );
    phase = "booted";
    post({ type: "booted" });
  });
  listen("unhandledrejection", (event: Event) => {
    try {
      apply(preventDefault, event, []);
      const reason = (event as PromiseRejectionEvent).reason;
      fail("runtime_error", `Unhandled promise rejection: ${describe(reason)}`);
    } catch {
      fail("runtime_error", "Unhandled promise rejection");
    }
  });
  listen("error", (event: Event) => {
    try {
      apply(preventDefault, event, []);
      const error = (event as ErrorEvent).error;
      failWith(error ?? (event as ErrorEvent).message);
    } catch {
      fail("runtime_error", "Uncaught exception that could not be described");
    }
  });
}
