/**
 * The guest Worker's prelude: the first code in the realm where guest code runs.
 *
 * It captures what it needs (the channel to the runtime's main thread, `eval`,
 * JSON, `Deno.inspect`), removes every global that reaches the operating
 * system, persists, or starts a fresh realm, installs `console` and the tool
 * namespaces, then evaluates the guest's code and reports how it ended.
 *
 * `workerMain` is self-contained: the broker injects its source with
 * `Function.prototype.toString`, so it must not reference anything outside
 * its own body and parameters.
 *
 * @module
 */

import type { createGuestConsole } from "./console.ts";
import type { JsonEncoder } from "./json.ts";
import type { GuestErrorCode, LogLevel } from "./protocol.ts";

/** Messages the main thread posts to the guest Worker. */
export type ToWorkerMessage =
  | { type: "warm" }
  | {
    type: "exec";
    code: string;
    namespaces: Record<string, string[]>;
    methods: Record<string, string[]>;
    maxLogBytes: number;
  }
  | { type: "result"; id: number; ok: true; json: string }
  | {
    type: "result";
    id: number;
    ok: false;
    code: "tool_error" | "validation_error";
    tool: string;
    message: string;
  };

/** Messages the guest Worker posts to the main thread. */
export type FromWorkerMessage =
  | { type: "booted" }
  | { type: "ready" }
  | { type: "call"; id: number; ns: string; name: string; json: string }
  | { type: "log"; level: LogLevel; message: string }
  | { type: "done"; json: string | undefined }
  | { type: "fail"; code: GuestErrorCode; message: string };

/** What the runtime script passes to {@linkcode workerMain}. */
export interface WorkerDeps {
  /** The factory from `json.ts`. */
  createJsonEncoder: (maxDepth: number) => JsonEncoder;
  /** The factory from `console.ts`. */
  createGuestConsole: typeof createGuestConsole;
  /** Nesting limit for values crossing the boundary. */
  maxJsonDepth: number;
}

/**
 * Globals removed from the guest realm: everything that reaches the OS or the
 * network, persists between runs, starts a realm that would still have `Deno`,
 * or belongs to the channel to the main thread.
 */
export const REMOVED_GLOBALS: readonly string[] = [
  "Deno",
  "process",
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
  const indirectEval = globalThis.eval;
  const parse = JSON.parse;
  const inspect = (globalThis as unknown as {
    Deno: { inspect(v: unknown, o: object): string };
  }).Deno.inspect;
  const encode = deps.createJsonEncoder(deps.maxJsonDepth);
  const encoder = new TextEncoder();
  const encodeInto = TextEncoder.prototype.encode;
  const apply = Reflect.apply;
  const defineProperty = Object.defineProperty;
  const freeze = Object.freeze;
  const getPrototypeOf = Object.getPrototypeOf;
  const hasOwn = Object.hasOwn;
  const ErrorCtor = Error;
  const PromiseCtor = Promise;
  const SyntaxErrorCtor = SyntaxError;
  const TypeErrorCtor = TypeError;
  const mapGet = Map.prototype.get;
  const mapSet = Map.prototype.set;
  const mapDelete = Map.prototype.delete;
  const weakGet = WeakMap.prototype.get;
  const isTrusted = Object.getOwnPropertyDescriptor(
    Event.prototype,
    "isTrusted",
  )!.get!;
  const weakSet = WeakMap.prototype.set;

  // Errors the prelude itself created, so a failure can say what ended the run
  // without trusting anything the guest could put on an error object.
  const ownErrors = new WeakMap<object, GuestErrorCode>();
  const MAX_MESSAGE_CHARS = 4096;
  const pending = new Map<
    number,
    { resolve(v: unknown): void; reject(e: unknown): void }
  >();
  let nextId = 1;
  let phase: "booting" | "warming" | "running" = "booting";
  let finished = false;
  let maxLogBytes = 0;
  let logBytes = 0;

  function ownError(code: GuestErrorCode, message: string): Error {
    const error = new ErrorCtor(message) as Error & { code: string };
    error.code = code;
    apply(weakSet, ownErrors, [error, code]);
    return error;
  }

  function describe(error: unknown): string {
    try {
      if (error instanceof ErrorCtor) {
        const name = String(error.name);
        const message = String(error.message);
        return message === "" ? name : `${name}: ${message}`;
      }
      return `Uncaught ${inspect(error, { colors: false, depth: 2 })}`;
    } catch {
      return "Uncaught exception that could not be described";
    }
  }

  function fail(code: GuestErrorCode, message: string): void {
    if (finished) return;
    finished = true;
    // The broker keeps 4096 characters; sending more only costs a copy.
    post({ type: "fail", code, message: message.slice(0, MAX_MESSAGE_CHARS) });
  }

  function failWith(error: unknown): void {
    const own: GuestErrorCode | undefined =
      error !== null && typeof error === "object"
        ? apply(weakGet, ownErrors, [error])
        : undefined;
    // The prelude's own errors already say what failed; a name adds nothing.
    if (own !== undefined) fail(own, (error as Error).message);
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

  // Forward at most one byte past the cap; the broker truncates and marks.
  function emit(level: LogLevel, text: string): void {
    if (finished || logBytes > maxLogBytes) return;
    const room = maxLogBytes - logBytes + 1;
    const message = text.length > room ? text.slice(0, room) : text;
    logBytes += apply(encodeInto, encoder, [message]).length;
    post({ type: "log", level, message });
  }
  defineProperty(globalThis, "console", {
    value: deps.createGuestConsole(
      emit,
      (value) => inspect(value, { colors: false, depth: 4 }),
    ),
    writable: true,
    configurable: true,
  });

  function callTool(
    ns: string,
    name: string,
    input: unknown,
  ): Promise<unknown> {
    let json: string;
    try {
      json = encode(input === undefined ? {} : input, "input") ?? "{}";
    } catch (error) {
      const message = error instanceof TypeErrorCtor
        ? error.message
        : describe(error);
      return PromiseCtor.reject(
        ownError(
          "serialization_error",
          `${message} (in a call to ${ns}.${name})`,
        ),
      );
    }
    const id = nextId++;
    return new PromiseCtor((resolve, reject) => {
      apply(mapSet, pending, [id, { resolve, reject }]);
      post({ type: "call", id, ns, name, json });
    });
  }

  function install(
    namespaces: Record<string, string[]>,
    methods: Record<string, string[]>,
  ): void {
    type Members = {
      [name: string]: Members | ((...args: unknown[]) => unknown);
    };
    const names = [...Object.keys(namespaces), ...Object.keys(methods)];
    for (const ns of new Set(names)) {
      const members: Members = {};
      for (const name of namespaces[ns] ?? []) {
        members[name] = (input?: unknown) => callTool(ns, name, input);
      }
      // `$resources.read(uri)`: nested objects, positional arguments.
      for (const path of methods[ns] ?? []) {
        const parts = path.split(".");
        let target = members;
        for (const part of parts.slice(0, -1)) {
          target = (target[part] ??= {}) as Members;
        }
        target[parts[parts.length - 1]!] = (...args: unknown[]) =>
          callTool(ns, path, args);
      }
      const freezeDeep = (object: Members): Members => {
        for (const value of Object.values(object)) {
          if (typeof value === "object") freezeDeep(value);
        }
        return freeze(object);
      };
      defineProperty(globalThis, ns, {
        value: freezeDeep(members),
        writable: false,
        configurable: false,
        enumerable: false,
      });
    }
  }

  async function run(code: string): Promise<void> {
    let fn: () => Promise<unknown>;
    try {
      fn = indirectEval(code);
    } catch (error) {
      fail(
        error instanceof SyntaxErrorCtor ? "syntax_error" : "runtime_error",
        describe(error),
      );
      return;
    }
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
      // The encoder's own TypeError says where; a getter or toJSON that threw
      // is described like any guest error.
      fail(
        "serialization_error",
        error instanceof TypeErrorCtor &&
          error.message.startsWith("Cannot serialize")
          ? error.message
          : describe(error),
      );
      return;
    }
    finished = true;
    post({ type: "done", json });
  }

  listen("message", (event: Event) => {
    // Only the main thread's messages count: guest code can dispatch its own
    // MessageEvents to this listener, and can fake an own `isTrusted`.
    if (apply(isTrusted, event, []) !== true) return;
    const message = (event as MessageEvent<ToWorkerMessage>).data;
    if (message.type === "warm") {
      if (phase !== "booting") return;
      phase = "warming";
      // Every process serves one run, so whatever runs first runs cold. Take
      // the paths a run takes once now, while the pool fills, not during a run.
      const warmup = indirectEval(
        '(async function () {"use strict";return ({ a: [1, "b", null] });\n})',
      );
      warmup().then((value: unknown) => {
        encode(value, "result");
        post({ type: "ready" });
      });
      return;
    }
    if (message.type === "exec") {
      if (phase !== "warming") return;
      phase = "running";
      maxLogBytes = message.maxLogBytes;
      install(message.namespaces, message.methods);
      run(message.code);
      return;
    }
    const call = apply(mapGet, pending, [message.id]);
    if (call === undefined) return;
    apply(mapDelete, pending, [message.id]);
    if (message.ok) {
      call.resolve(message.json === "" ? undefined : parse(message.json));
    } else {
      const error = ownError(message.code, message.message) as Error & {
        code: string;
        tool: string;
      };
      error.code = message.code;
      error.tool = message.tool;
      call.reject(error);
    }
  });
  listen("unhandledrejection", (event: Event) => {
    event.preventDefault();
    const reason = (event as PromiseRejectionEvent).reason;
    fail(
      "runtime_error",
      `Unhandled promise rejection: ${describe(reason)}`,
    );
  });
  listen("error", (event: Event) => {
    event.preventDefault();
    const error = (event as ErrorEvent).error;
    failWith(error ?? (event as ErrorEvent).message);
  });

  post({ type: "booted" });
}
