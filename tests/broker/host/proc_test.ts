import assert from "node:assert/strict";
import {
  parseCpuMs,
  parseProcStatus,
  parseStartTime,
} from "../../../broker/host/proc.ts";

Deno.test("parseProcStatus() reads the resident set and its high-water mark", () => {
  const status = "Name:\tdeno\nVmHWM:\t  51236 kB\nVmRSS:\t  40000 kB\n";
  assert.deepEqual(parseProcStatus(status), {
    residentBytes: 40_000 * 1024,
    peakResidentBytes: 51_236 * 1024,
  });
  assert.equal(parseProcStatus("Name:\tzombie\n"), undefined);
});

Deno.test("parseStartTime() counts fields after the last parenthesis of the command name", () => {
  // A command name may hold spaces and parentheses: "(a) b (c)".
  const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
  const stat = `1234 ((a) b (c)) ${fields.join(" ")}`;
  // Field 22 is the 20th after the name (fields 3, 4, ...).
  assert.equal(parseStartTime(stat), "22");
  assert.equal(
    parseStartTime(Deno.readTextFileSync(`/proc/${Deno.pid}/stat`)),
    parseStartTime(Deno.readTextFileSync("/proc/self/stat")),
  );
});

Deno.test("parseCpuMs() adds utime and stime (fields 14 and 15) in milliseconds", () => {
  const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
  const stat = `1234 ((a) b (c)) ${fields.join(" ")}`;
  // 14 + 15 clock ticks of 10 ms.
  assert.equal(parseCpuMs(stat), 290);
  assert.equal(parseCpuMs("garbage"), undefined);
  // This process has used some CPU by now.
  const own = parseCpuMs(Deno.readTextFileSync(`/proc/${Deno.pid}/stat`));
  assert.ok(own !== undefined && own > 0);
});
