import assert from "node:assert/strict";
import { AllowList } from "../../../broker/network/allow_list.ts";

const list = new AllowList([
  { origin: "https://api.example.com", paths: ["/v1", "/files/"] },
  {
    origin: "https://api.example.com",
    paths: ["/v1/items"],
    methods: ["post", "PUT"],
  },
  { origin: "http://127.0.0.1:8080" },
]);

function reason(url: string, method = "GET"): string | undefined {
  const decision = list.check(new URL(url), method);
  return decision.allowed ? undefined : decision.reason;
}

Deno.test("AllowList.check() compares origins exactly", () => {
  assert.equal(reason("https://api.example.com/v1"), undefined);
  assert.equal(reason("https://API.example.com:443/v1/x"), undefined);
  for (
    const url of [
      "http://api.example.com/v1", // scheme
      "https://api.example.com:8443/v1", // port
      "https://x.api.example.com/v1", // subdomain
      "https://api.example.com./v1", // trailing dot
      "https://example.com/v1",
      "http://localhost:8080/", // not an alias of 127.0.0.1
      "http://127.0.0.1:8081/",
      "http://[::1]:8080/",
      "http://127.0.0.2:8080/x",
    ]
  ) {
    assert.equal(reason(url), "no rule for this origin", url);
  }
  assert.equal(reason("http://127.0.0.1:8080/anything"), undefined);
});

Deno.test("AllowList.check() matches path prefixes by whole segments", () => {
  assert.equal(reason("https://api.example.com/v1/a/b"), undefined);
  assert.equal(reason("https://api.example.com/files/x"), undefined);
  assert.equal(
    reason("https://api.example.com/v10"),
    "no rule for the path /v10 on this origin (allowed: /v1, /files/, /v1/items)",
  );
  assert.equal(
    reason("https://api.example.com/files"),
    "no rule for the path /files on this origin (allowed: /v1, /files/, /v1/items)",
  );
  // The URL is normalised before the check: ".." cannot climb out.
  assert.equal(
    reason("https://api.example.com/v1/../admin"),
    "no rule for the path /admin on this origin (allowed: /v1, /files/, /v1/items)",
  );
  assert.equal(
    reason("https://api.example.com/v1/%2e%2e/admin"),
    "no rule for the path /admin on this origin (allowed: /v1, /files/, /v1/items)",
  );
});

Deno.test("AllowList.check() allows GET by default and the methods a rule lists", () => {
  assert.equal(reason("https://api.example.com/v1/items", "POST"), undefined);
  assert.equal(reason("https://api.example.com/v1/items", "PUT"), undefined);
  assert.equal(
    reason("https://api.example.com/v1/other", "POST"),
    "the method POST is not allowed for this path (allowed: GET)",
  );
  assert.equal(
    reason("https://api.example.com/v1/items", "DELETE"),
    "the method DELETE is not allowed for this path (allowed: GET, POST, PUT)",
  );
});

Deno.test("AllowList.check() refuses a URL with credentials", () => {
  assert.equal(
    reason("http://user:pw@127.0.0.1:8080/"),
    "the URL holds credentials",
  );
});

Deno.test("new AllowList() rejects malformed rules with the rule's place", () => {
  const cases: [unknown, string][] = [
    [
      { origin: "https://api.example.com/v1" },
      'network.allow[0].origin must be an http or https origin without a path, such as "https://api.example.com", got "https://api.example.com/v1"',
    ],
    [
      { origin: "ftp://x.example" },
      'network.allow[0].origin must be an http or https origin without a path, such as "https://api.example.com", got "ftp://x.example"',
    ],
    [{ origin: "nope" }, 'network.allow[0].origin is not a URL: "nope"'],
    [
      { origin: "https://x.example", paths: ["v1"] },
      'network.allow[0].paths must hold paths starting with "/", got "v1"',
    ],
    [
      { origin: "https://x.example", paths: ["/a/../b"] },
      'network.allow[0].paths must hold normalised paths, got "/a/../b" (try "/b")',
    ],
    [
      { origin: "https://x.example", methods: ["GET POST"] },
      'network.allow[0].methods must hold HTTP methods, got "GET POST"',
    ],
    [
      { origin: "https://x.example", headers: { "bad name": "x" } },
      'network.allow[0].headers has an invalid header "bad name"',
    ],
    [
      { origin: "https://x.example", headers: { a: "x\ny" } },
      'network.allow[0].headers has an invalid value for "a"',
    ],
  ];
  for (const [rule, message] of cases) {
    assert.throws(
      () => new AllowList([rule as never]),
      { name: "TypeError", message },
    );
  }
});
