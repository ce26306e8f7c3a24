import assert from "node:assert/strict";
import {
  assertProviderName,
  isIdentifier,
  toolIdentifiers,
} from "../../../broker/tools/identifiers.ts";

Deno.test("toolIdentifiers() turns runs of other characters into one _", () => {
  assert.deepEqual(
    toolIdentifiers([
      "search-docs",
      "get.user  profile",
      "a--b",
      "a-_b",
      "x$y",
    ]),
    ["search_docs", "get_user_profile", "a_b", "a__b", "x$y"],
  );
});

Deno.test("toolIdentifiers() trims leading and trailing _", () => {
  assert.deepEqual(
    toolIdentifiers(["-list-", "__init__", "_x_"]),
    ["list", "init", "x"],
  );
});

Deno.test("toolIdentifiers() prefixes a leading digit with _", () => {
  assert.deepEqual(toolIdentifiers(["2fa", "-3d-"]), ["_2fa", "_3d"]);
});

Deno.test("toolIdentifiers() suffixes reserved words with _", () => {
  assert.deepEqual(
    toolIdentifiers([
      "delete",
      "class",
      "import",
      "let",
      "static",
      "yield",
      "await",
      "null",
      "true",
      "false",
      "enum",
      "_new_",
    ]),
    [
      "delete_",
      "class_",
      "import_",
      "let_",
      "static_",
      "yield_",
      "await_",
      "null_",
      "true_",
      "false_",
      "enum_",
      "new_",
    ],
  );
});

Deno.test("toolIdentifiers() keeps words that are only reserved in other cases", () => {
  assert.deepEqual(
    toolIdentifiers([
      "Delete",
      "of",
      "get",
      "undefined",
      "eval",
      "constructor",
    ]),
    ["Delete", "of", "get", "undefined", "eval", "constructor"],
  );
});

Deno.test("toolIdentifiers() makes an empty result _", () => {
  assert.deepEqual(toolIdentifiers(["", "---", "é"]), ["_", "___2", "___3"]);
});

Deno.test("toolIdentifiers() gives collisions __2 suffixes in declaration order", () => {
  assert.deepEqual(
    toolIdentifiers(["a-b", "a_b", "a.b", "c", "a b"]),
    ["a_b", "a_b__2", "a_b__3", "c", "a_b__4"],
  );
});

Deno.test("toolIdentifiers() skips a suffix an earlier tool already holds", () => {
  assert.deepEqual(
    toolIdentifiers(["a_b__2", "a-b", "a_b"]),
    ["a_b__2", "a_b", "a_b__3"],
  );
});

Deno.test("toolIdentifiers() gives reserved member names the collision suffix", () => {
  assert.deepEqual(
    toolIdentifiers(["$resources", "search", "$search"], {
      reserved: new Set(["$resources", "$search"]),
    }),
    ["$resources__2", "search", "$search__2"],
  );
});

Deno.test("toolIdentifiers() accepts any iterable of reserved names", () => {
  function* reserved(): Generator<string> {
    yield "list";
  }
  assert.deepEqual(toolIdentifiers(["list"], { reserved: reserved() }), [
    "list__2",
  ]);
});

Deno.test("toolIdentifiers() returns an empty list for no names", () => {
  assert.deepEqual(toolIdentifiers([]), []);
});

Deno.test("toolIdentifiers() rejects a name that is not a string", () => {
  assert.throws(() => toolIdentifiers([42 as unknown as string]), {
    name: "TypeError",
    message: "Tool name must be a string, got number",
  });
});

Deno.test("isIdentifier() accepts ASCII identifiers that are not reserved words", () => {
  assert.deepEqual(
    ["a", "_", "$x", "a1", "create_issue", "delete", "1a", "a-b", "", "é"].map(
      isIdentifier,
    ),
    [true, true, true, true, true, false, false, false, false, false],
  );
});

Deno.test("assertProviderName() accepts a free identifier", () => {
  assertProviderName("my_tools", new Set(["github"]));
});

Deno.test("assertProviderName() rejects a name that is not an identifier", () => {
  assert.throws(() => assertProviderName("my-tools", new Set()), {
    name: "TypeError",
    message:
      'Provider name "my-tools" is not a valid identifier (try "my_tools")',
  });
  assert.throws(() => assertProviderName("1password", new Set()), {
    name: "TypeError",
    message:
      'Provider name "1password" is not a valid identifier (try "_1password")',
  });
  assert.throws(() => assertProviderName("", new Set()), {
    name: "TypeError",
    message: 'Provider name "" is not a valid identifier (try "_")',
  });
});

Deno.test("assertProviderName() rejects a reserved word", () => {
  assert.throws(() => assertProviderName("package", new Set()), {
    name: "TypeError",
    message: 'Provider name "package" is a reserved word (try "package_")',
  });
});

Deno.test("assertProviderName() rejects a global of the guest", () => {
  for (
    const name of ["console", "state", "fetch", "Deno", "window", "require"]
  ) {
    assert.throws(() => assertProviderName(name, new Set()), {
      name: "TypeError",
      message:
        `Provider name "${name}" is a global of the guest (try "${name}__2")`,
    });
  }
});

Deno.test("assertProviderName() rejects a taken name", () => {
  assert.throws(
    () => assertProviderName("github", new Set(["github", "github__2"])),
    {
      name: "TypeError",
      message: 'Provider name "github" is already taken (try "github__3")',
    },
  );
});

Deno.test("assertProviderName() suggests a name that is not taken", () => {
  assert.throws(() => assertProviderName("my-tools", new Set(["my_tools"])), {
    name: "TypeError",
    message:
      'Provider name "my-tools" is not a valid identifier (try "my_tools__2")',
  });
});

Deno.test("assertProviderName() rejects a name that is not a string", () => {
  assert.throws(
    () => assertProviderName(null as unknown as string, new Set()),
    {
      name: "TypeError",
      message: "Provider name must be a string, got object",
    },
  );
});
