/**
 * (11) Process mode against isolate mode (issue 15, part 2), measured
 * interleaved in the same run: each repetition runs one fresh child process
 * per mode, in turn. Per child: runs/s of `1 + 1` at concurrency 4 (four
 * callers, each starting its next run when the last ends), CPU per run (the
 * broker's and its subprocesses', reaped at close), `1 + 1` latency at
 * concurrency 1 back to back (in isolate mode the caller's process is alive
 * but its next Worker is still being made) and after a pause (a ready slot),
 * and the resident memory (RSS and PSS) of one ready slot.
 *
 * Usage: `deno run -A bench/isolation.ts [reps]` prints the section;
 * `bench/main.ts --only isolation` writes it into docs/benchmarks.md.
 *
 * @module
 */

import { createBroker, type Isolation } from "../mod.ts";
import { childrenCpuTimeMs, cpuTimeMs, sleep } from "./_sandbox.ts";
import { fmt, median, quantile } from "./_stats.ts";

/** What one child measured. */
export interface IsolationSample {
  mode: Isolation;
  perSecond: number;
  cpuPerRunMs: { broker: number; subprocesses: number };
  backToBackP50Ms: number;
  readyP50Ms: number;
  readySlotRssMiB: number;
  readySlotPssMiB: number;
}

const _LOAD_MS = 4000;
const _LATENCY_RUNS = 40;

function _children(): number[] {
  const pids: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) === Deno.pid) pids.push(Number(entry.name));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

function _memory(pid: number): { rss: number; pss: number } | undefined {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/smaps_rollup`);
    const rss = /^Rss:\s+(\d+) kB$/m.exec(text);
    const pss = /^Pss:\s+(\d+) kB$/m.exec(text);
    if (!rss || !pss) return undefined;
    return { rss: Number(rss[1]) / 1024, pss: Number(pss[1]) / 1024 };
  } catch {
    return undefined;
  }
}

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
  let slot = { rss: 0, pss: 0 };
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
    await sleep(300);
    // One ready slot: in isolate mode the solo caller's process with its
    // ready Worker; in process mode a warm pooled process. The smallest
    // child is taken (the watchdog and parser are threads, not children).
    const readings = _children().map(_memory).filter((m) => m !== undefined);
    slot = readings.sort((a, b) => a.rss - b.rss)[0] ?? slot;
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
    readySlotRssMiB: slot.rss,
    readySlotPssMiB: slot.pss,
  };
}

async function _child(mode: Isolation): Promise<IsolationSample> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, "--child", mode],
    stderr: "inherit",
  }).output();
  if (!output.success) throw new Error(`The ${mode} child failed`);
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
  for (let rep = 0; rep < reps; rep++) {
    for (const mode of ["process", "isolate"] as const) {
      status(`isolation: ${mode} ${rep + 1}/${reps}\n`);
      samples[mode].push(await _child(mode));
    }
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
${row("one ready slot, RSS", (s) => s.readySlotRssMiB, "MiB")}
${row("one ready slot, PSS", (s) => s.readySlotPssMiB, "MiB")}

A ready slot is a whole runtime process in both modes: isolate mode keeps one
ready Worker per process (one run at a time per process), so its slot costs
about what a pooled process costs. PSS splits the pages the processes share (the
Deno binary) between them.`;
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
    const sample = await _measure(Deno.args[1] as Isolation);
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
