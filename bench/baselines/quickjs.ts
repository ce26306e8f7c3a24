/**
 * The in-process QuickJS sandbox, as QuickJS-based code-mode executors build
 * it: `quickjs-emscripten` (WebAssembly), a fresh runtime and context per
 * execution with a memory limit and an interrupt deadline, host tools as
 * functions that return promises, values crossing the boundary as JSON text.
 *
 * quickjs-emscripten 0.32.0 aborts in `runtime.dispose()` (QuickJS assertion
 * `list_empty(&rt->gc_obj_list)`) after a run that parsed a few MB of JSON in
 * an async function, which leaves its WebAssembly module unusable. When that
 * happens the module is loaded again in `settle()`, outside the timed run, and
 * the run still counts: its result was complete before the disposal.
 *
 * @module
 */

import {
  newQuickJSWASMModule,
  type QuickJSContext,
  type QuickJSHandle,
  shouldInterruptAfterDeadline,
} from "npm:quickjs-emscripten@0.32.0";
import type { RunOutcome, Sandbox, SandboxOptions } from "../_sandbox.ts";
import { residentMemory } from "../_sandbox.ts";

/** The version imported above, for the report. */
export const QUICKJS_VERSION = "0.32.0";

const _MIB = 1024 * 1024;

/** Creates the QuickJS baseline (the WebAssembly module is loaded once). */
export async function createQuickJsSandbox(
  options: SandboxOptions,
): Promise<Sandbox> {
  let quickjs = await newQuickJSWASMModule();
  let broken = false;

  async function execute(code: string): Promise<RunOutcome> {
    if (broken) {
      quickjs = await newQuickJSWASMModule();
      broken = false;
    }
    const runtime = quickjs.newRuntime();
    runtime.setMemoryLimit(options.memoryMb * _MIB);
    runtime.setMaxStackSize(1024 * 1024);
    runtime.setInterruptHandler(
      shouldInterruptAfterDeadline(Date.now() + options.timeoutMs),
    );
    const vm = runtime.newContext();
    const inFlight = new Set<Promise<unknown>>();
    try {
      _installTools(vm, options, inFlight);
      const evaluated = vm.evalCode(
        `(async () => {${code}\n})().then((v) => v === undefined ? "" : JSON.stringify(v))`,
      );
      if (evaluated.error) {
        const error = vm.dump(evaluated.error);
        evaluated.error.dispose();
        return { ok: false, error: JSON.stringify(error) };
      }
      const native = vm.resolvePromise(evaluated.value);
      evaluated.value.dispose();
      runtime.executePendingJobs();
      const settled = await native;
      // Let the resolutions of tools still in flight run before disposing.
      await Promise.allSettled([...inFlight]);
      while (runtime.hasPendingJob()) runtime.executePendingJobs();
      if (settled.error) {
        const error = vm.dump(settled.error);
        settled.error.dispose();
        return { ok: false, error: JSON.stringify(error) };
      }
      const text = vm.getString(settled.value);
      settled.value.dispose();
      return { ok: true, result: text === "" ? undefined : JSON.parse(text) };
    } finally {
      try {
        vm.dispose();
        runtime.dispose();
      } catch {
        broken = true;
      }
    }
  }

  return {
    execute,
    lastPeakBytes: () => Promise.resolve(residentMemory("self")?.hwm),
    async settle() {
      if (!broken) return;
      quickjs = await newQuickJSWASMModule();
      broken = false;
    },
    close: () => Promise.resolve(),
  };
}

/**
 * Installs each namespace as a guest object whose functions send JSON text to
 * a host function and parse the JSON text it resolves with.
 */
function _installTools(
  vm: QuickJSContext,
  options: SandboxOptions,
  inFlight: Set<Promise<unknown>>,
): void {
  const raw = vm.newFunction("__host", (nsHandle, nameHandle, argsHandle) => {
    const ns = vm.getString(nsHandle);
    const name = vm.getString(nameHandle);
    const args = JSON.parse(vm.getString(argsHandle));
    const deferred = vm.newPromise();
    const work = (async () => {
      try {
        const value = await options.tools[ns]![name]!(args);
        const text = vm.newString(
          value === undefined ? "" : JSON.stringify(value),
        );
        deferred.resolve(text);
        text.dispose();
      } catch (error) {
        const message = vm.newError(String(error));
        deferred.reject(message);
        message.dispose();
      }
      deferred.dispose();
      vm.runtime.executePendingJobs();
    })();
    inFlight.add(work);
    work.finally(() => inFlight.delete(work));
    return deferred.handle;
  });
  vm.setProp(vm.global, "__host", raw);
  raw.dispose();
  const namespaces: Record<string, string[]> = {};
  for (const [ns, members] of Object.entries(options.tools)) {
    namespaces[ns] = Object.keys(members);
  }
  const prelude = vm.evalCode(`
    const host = globalThis.__host;
    delete globalThis.__host;
    for (const [ns, names] of Object.entries(${JSON.stringify(namespaces)})) {
      const members = {};
      for (const name of names) {
        members[name] = async (args) => {
          const text = await host(ns, name, JSON.stringify(args ?? {}));
          return text === "" ? undefined : JSON.parse(text);
        };
      }
      globalThis[ns] = members;
    }`);
  (vm.unwrapResult(prelude) as QuickJSHandle).dispose();
}
