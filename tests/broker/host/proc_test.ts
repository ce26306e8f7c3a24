import assert from "node:assert/strict";
import {
  pageKibFrom,
  parseCpuMs,
  parseProcStatus,
  parseStartTime,
  parseStatmResidentPages,
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

Deno.test("parseStatmResidentPages() reads field 2, and zero for a zombie", () => {
  assert.equal(
    parseStatmResidentPages("4540670 8461 6092 15604 0 138827 0\n"),
    8461,
  );
  assert.equal(parseStatmResidentPages("0 0 0 0 0 0 0\n"), 0);
  assert.equal(parseStatmResidentPages("garbage"), undefined);
});

Deno.test("pageKibFrom() picks the page size that matches VmRSS", () => {
  assert.equal(pageKibFrom(33_844, 8461), 4);
  // Read a moment apart: the nearest size wins.
  assert.equal(pageKibFrom(34_500, 8461), 4);
  assert.equal(pageKibFrom(541_504, 8461), 64);
  assert.equal(pageKibFrom(135_376, 8461), 16);
  assert.equal(pageKibFrom(0, 0), 4);
});
