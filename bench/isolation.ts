/**
 * (11) Process mode against isolate mode (issue 15, part 2), measured
 * interleaved in the same run: each repetition runs one fresh child process
 * per mode, in turn, then the ready-Worker probe. Per mode child: runs/s of
 * `1 + 1` at concurrency 4 (four callers, each starting its next run when the
 * last ends), CPU per run (the broker's and its subprocesses', reaped at
 * close), `1 + 1` latency at concurrency 1 back to back (in isolate mode the
 * caller's process is alive but its next Worker is still being made) and after
 * a pause (a ready slot). The probe (`_slot.ts`) reads one runtime process
 * with and without its ready Worker: what a process costs, and what a ready
 * Worker adds to it.
 *
 * Usage: `deno run -A bench/isolation.ts [reps]` prints the section;
 * `bench/main.ts --only isolation` writes it into docs/benchmarks.md.
 *
 * @module
 */

import { createBroker, type Isolation } from "../mod.ts";
import { childrenCpuTimeMs, cpuTimeMs, sleep } from "./_sandbox.ts";
import { measureSlot, type SlotReading, type SlotSample } from "./_slot.ts";
import { fmt, median, quantile } from "./_stats.ts";

/** What one child measured. */
export interface IsolationSample {
  mode: Isolation;
  perSecond: number;
  cpuPerRunMs: { broker: number; subprocesses: number };
  backToBackP50Ms: number;
  readyP50Ms: number;
}

const _LOAD_MS = 4000;
const _LATENCY_RUNS = 40;

async function _measure(mode: Isolation): Promise<IsolationSample> {
  const cpu0 = cpuTimeMs();
  const children0 = childrenCpuTimeMs();
  const broker = await createBroker({
    isolation: mode,
    maxConcurrency: 4,
    maxConcurrencyPerCaller: 4,
    pool: { size: 2 },
  });
  let completed = 0;
  let perSecond = 0;
  const latencies: number[] = [];
  const ready: number[] = [];
  try {
    // Concurrency 4: four callers.
    let stop = false;
    const load = async (caller: string) => {
      while (!stop) {
        const run = await broker.execute("1 + 1", { caller });
        if (run.ok) completed++;
      }
    };
    const started = performance.now();
    const loops = ["c1", "c2", "c3", "c4"].map(load);
    await sleep(_LOAD_MS);
    stop = true;
    await Promise.all(loops);
    perSecond = completed / ((performance.now() - started) / 1000);
    // Concurrency 1, back to back: one caller.
    for (let i = 0; i < _LATENCY_RUNS; i++) {
      const t = performance.now();
      await broker.execute("1 + 1", { caller: "solo" });
      latencies.push(performance.now() - t);
    }
    // With a pause, so the caller's process (or the pool) has a slot ready.
    for (let i = 0; i < 15; i++) {
      await sleep(150);
      const t = performance.now();
      await broker.execute("1 + 1", { caller: "solo" });
      ready.push(performance.now() - t);
    }
  } finally {
    await broker.close();
  }
  const runs = completed + _LATENCY_RUNS + ready.length;
  return {
    mode,
    perSecond,
    cpuPerRunMs: {
      broker: (cpuTimeMs() - cpu0) / runs,
      subprocesses: (childrenCpuTimeMs() - children0) / runs,
    },
    backToBackP50Ms: quantile(latencies, 0.5),
    readyP50Ms: quantile(ready, 0.5),
  };
}

const _SLOT_CYCLES = 6;
// Issue 15: "resident memory per ready slot (one ready Worker) <= 10 MiB".
const _SLOT_TARGET_MIB = 10;

function _minus(a: SlotReading, b: SlotReading): SlotReading {
  return {
    rss: a.rss - b.rss,
    pss: a.pss - b.pss,
    uss: a.uss - b.uss,
    threads: a.threads - b.threads,
  };
}

async function _child<T>(kind: Isolation | "slot"): Promise<T> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, "--child", kind],
    stderr: "inherit",
  }).output();
  if (!output.success) throw new Error(`The ${kind} child failed`);
  return JSON.parse(new TextDecoder().decode(output.stdout));
}

/**
 * Measures both modes interleaved and formats the section.
 *
 * @param reps Repetitions (one child per mode each).
 * @param status Progress, to stderr.
 * @returns The section as Markdown.
 */
export async function isolationSection(
  reps: number,
  status: (text: string) => void = () => {},
): Promise<string> {
  const samples: Record<Isolation, IsolationSample[]> = {
    process: [],
    isolate: [],
  };
  const slots: SlotSample[] = [];
  for (let rep = 0; rep < reps; rep++) {
    for (const mode of ["process", "isolate"] as const) {
      status(`isolation: ${mode} ${rep + 1}/${reps}\n`);
      samples[mode].push(await _child<IsolationSample>(mode));
    }
    status(`isolation: ready Worker ${rep + 1}/${reps}\n`);
    slots.push(await _child<SlotSample>("slot"));
  }
  const med = (mode: Isolation, pick: (s: IsolationSample) => number) =>
    median(samples[mode].map(pick));
  const row = (
    label: string,
    pick: (s: IsolationSample) => number,
    unit: string,
  ) => {
    const p = med("process", pick);
    const i = med("isolate", pick);
    return `| ${label} | ${fmt(p, unit)} | ${fmt(i, unit)} | ${
      (i / p).toFixed(2)
    }x |`;
  };
  const slot = (pick: (s: SlotSample) => number) => median(slots.map(pick));
  const memoryRow = (label: string, key: keyof SlotReading) => {
    const p = slot((s) => s.freshReady[key]);
    const i = slot((s) => s.ready[key]);
    return `| a ready process, ${label} | ${fmt(p, "MiB")} | ${
      fmt(i, "MiB")
    } | ${(i / p).toFixed(2)}x |`;
  };
  const stateRow = (label: string, state: keyof SlotSample) =>
    `| ${label} | ${fmt(slot((s) => s[state].rss), "MiB")} | ${
      fmt(slot((s) => s[state].pss), "MiB")
    } | ${fmt(slot((s) => s[state].uss), "MiB")} | ${
      slot((s) => s[state].threads)
    } |`;
  const addRow = (
    label: string,
    pick: (s: SlotSample) => SlotReading,
    target: boolean,
  ) => {
    const rss = slot((s) => pick(s).rss);
    const uss = slot((s) => pick(s).uss);
    const met = target
      ? (Math.max(rss, uss) <= _SLOT_TARGET_MIB ? "yes" : "no")
      : "";
    return `| ${label} | ${fmt(rss, "MiB")} | ${fmt(uss, "MiB")} | ${
      target ? `≤ ${_SLOT_TARGET_MIB} MiB` : ""
    } | ${met} |`;
  };
  const load = (await Deno.readTextFile("/proc/loadavg")).split(" ")
    .slice(0, 3).join(" ");
  return `## 11. Process mode and isolate mode

Medians of ${reps} repetitions; each repetition starts one fresh child process
per mode, in turn, so both modes see the same machine. \`1 + 1\` through the
library, \`maxConcurrency: 4\`, \`pool.size: 2\`. The machine is shared with
other work (load average ${load} at the end): compare the columns with each
other, not with other sections.

| measure | process | isolate | isolate / process |
| --- | --- | --- | --- |
${row("runs/s at c = 4 (four callers)", (s) => s.perSecond, "")}
${
    row("broker CPU per run (c = 4 run included)", (s) =>
      s.cpuPerRunMs.broker, "ms")
  }
${
    row(
      "subprocess CPU per run (reaped at close)",
      (s) => s.cpuPerRunMs.subprocesses,
      "ms",
    )
  }
${
    row("c = 1 p50, back to back (no ready Worker)", (s) =>
      s.backToBackP50Ms, "ms")
  }
${row("c = 1 p50, after a pause (a ready slot)", (s) => s.readyP50Ms, "ms")}
${memoryRow("RSS", "rss")}
${memoryRow("PSS", "pss")}
${memoryRow("USS (private)", "uss")}

The last three rows are one runtime process at rest with its ready Worker: in
process mode a pooled process (a fresh process and its first Worker), in
isolate mode a caller's process after runs, with the next Worker ready. Both
come from the probe below, which starts the broker's own runtime program.

### What one ready Worker costs (isolate mode)

One runtime process per repetition, read at rest (${_SLOT_CYCLES} runs of
\`1 + 1\` each, then \`next\`; medians of the runs, then of the ${reps}
repetitions). The process is the broker's runtime program with the broker's
arguments and environment, plus one line that exists only in the bench's copy:
\`new Worker()\` waits for a signal from the bench, so the same process can be
read with no Worker and with its ready Worker. USS is Private_Clean +
Private_Dirty from \`/proc/PID/smaps_rollup\`: what the process alone holds;
PSS adds its share of the pages it shares with other processes.

| one runtime process | RSS | PSS | USS | threads |
| --- | --- | --- | --- | --- |
${stateRow("alive, before its first Worker", "fresh")}
${stateRow("with its first ready Worker (a process-mode slot)", "freshReady")}
${stateRow("between runs: the run's Worker ended, none made yet", "between")}
${stateRow("with its next ready Worker (an isolate-mode slot)", "ready")}

| what a Worker adds | RSS | USS | target | met |
| --- | --- | --- | --- | --- |
${
    addRow(
      "one ready Worker (a ready slot over the same process between runs)",
      (s) => s.worker,
      true,
    )
  }
${
    addRow(
      "the first Worker of a process (over the process before it)",
      (s) => _minus(s.freshReady, s.fresh),
      false,
    )
  }

A process keeps most of what its first Worker brought in after that Worker
ends: the Deno binary's pages the Worker's start-up reads (file-backed and
shared with every other Deno process, so they count in RSS and, while no other
process has them, in USS) and V8's and the allocator's memory for threads and
isolates, which is reused by the next Worker. So each later Worker adds little,
and the whole process is what an isolate-mode caller holds.`;
}

const _START =
  "<!-- isolation:start (generated by bench/main.ts --only isolation) -->";
const _END = "<!-- isolation:end -->";

/**
 * Replaces the isolation part of docs/benchmarks.md (appended if missing).
 *
 * @param doc The benchmarks page.
 * @param section What {@linkcode isolationSection} returned.
 */
export async function writeIsolationSection(
  doc: URL,
  section: string,
): Promise<void> {
  let text = await Deno.readTextFile(doc);
  if (text.indexOf(_START) < 0 || text.indexOf(_END) < text.indexOf(_START)) {
    text = `${text.trimEnd()}\n\n${_START}\n${_END}\n`;
  }
  const start = text.indexOf(_START) + _START.length;
  const end = text.indexOf(_END);
  await Deno.writeTextFile(
    doc,
    `${text.slice(0, start)}\n\n${section}\n\n${text.slice(end)}`,
  );
  await new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--quiet", doc.pathname],
  }).output();
}

if (import.meta.main) {
  if (Deno.args[0] === "--child") {
    const sample = Deno.args[1] === "slot"
      ? await measureSlot({ cycles: _SLOT_CYCLES })
      : await _measure(Deno.args[1] as Isolation);
    Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify(sample)));
  } else {
    const reps = Number(Deno.args[0] ?? 3);
    const encoder = new TextEncoder();
    const section = await isolationSection(
      reps,
      (text) => Deno.stderr.writeSync(encoder.encode(text)),
    );
    Deno.stdout.writeSync(encoder.encode(`${section}\n`));
  }
}
