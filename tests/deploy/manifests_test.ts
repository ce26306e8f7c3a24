/**
 * The deployment files checked without a container engine or a cluster: the
 * Kubernetes manifests in `deploy/` parsed as YAML, the `Dockerfile` read
 * instruction by instruction, and both held against `execbox.jsonc` in the
 * ConfigMap, which the real config loader parses.
 */

import assert from "node:assert/strict";
import { parseAllDocuments } from "npm:yaml@^2";
import { type ExecboxConfig, parseConfig } from "../../broker/config/config.ts";
import { RUNTIME_BASELINE_MB } from "../../broker/limits.ts";
import rootJson from "../../deno.json" with { type: "json" };
import { fromFileUrl } from "../_paths.ts";

const repo = fromFileUrl(new URL("../../", import.meta.url));

// Allowances the memory limit adds to what execbox.jsonc implies, in MiB;
// deployment.yaml's comment gives the measurements behind them.
const BROKER_MIB = 256;
const STDIO_SERVER_MIB = 128;

// The parts of the Kubernetes objects these tests read.
interface Metadata {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
}
interface Manifest {
  apiVersion?: string;
  kind?: string;
  metadata?: Metadata;
  // deno-lint-ignore no-explicit-any
  spec?: any;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}
interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  privileged?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: { type?: string };
}
interface Probe {
  httpGet?: { path?: string; port?: number | string };
}
interface Container {
  name: string;
  image?: string;
  args?: string[];
  command?: string[];
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  env?: {
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef?: { name: string; key: string } };
  }[];
  securityContext?: SecurityContext;
  resources?: {
    requests?: Record<string, string>;
    limits?: Record<string, string>;
  };
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface Volume {
  name: string;
  emptyDir?: { medium?: string; sizeLimit?: string };
  configMap?: { name: string; items?: { key: string; path: string }[] };
}
interface PodSpec {
  automountServiceAccountToken?: boolean;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  terminationGracePeriodSeconds?: number;
  securityContext?: SecurityContext;
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
}
interface PolicyPeer {
  namespaceSelector?: { matchLabels?: Record<string, string> };
  podSelector?: { matchLabels?: Record<string, string> };
  ipBlock?: { cidr: string; except?: string[] };
}
interface PolicyRule {
  from?: PolicyPeer[];
  to?: PolicyPeer[];
  ports?: { protocol?: string; port?: number | string }[];
}

/** Every document of every `deploy/*.yaml`, with the file it came from. */
async function _loadManifests(): Promise<
  { file: string; manifest: Manifest }[]
> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(`${repo}deploy`)) {
    if (entry.isFile && /\.ya?ml$/.test(entry.name)) files.push(entry.name);
  }
  files.sort();
  const found: { file: string; manifest: Manifest }[] = [];
  for (const file of files) {
    const text = await Deno.readTextFile(`${repo}deploy/${file}`);
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length > 0 || doc.warnings.length > 0) {
        throw new SyntaxError(
          `Cannot parse "deploy/${file}": ${
            [...doc.errors, ...doc.warnings][0]!.message
          }`,
        );
      }
      const manifest = doc.toJS() as Manifest | null;
      if (manifest !== null) found.push({ file, manifest });
    }
  }
  return found;
}

const manifests = await _loadManifests();

function only(kind: string): Manifest {
  const matches = manifests.filter((m) => m.manifest.kind === kind);
  assert.equal(matches.length, 1, `expected one ${kind} in deploy/`);
  return matches[0]!.manifest;
}

const namespace = only("Namespace");
const configMap = only("ConfigMap");
const secret = only("Secret");
const deployment = only("Deployment");
const service = only("Service");
const policy = only("NetworkPolicy");
const pod = deployment.spec.template.spec as PodSpec;
const podLabels = deployment.spec.template.metadata.labels as Record<
  string,
  string
>;
assert.equal(pod.containers.length, 1, "expected one container");
const container = pod.containers[0]!;
const containerPort = container.ports?.[0]?.containerPort;

// The configuration, as `execbox serve` will parse it in the pod.
const configKey = "execbox.jsonc";
const configText = configMap.data?.[configKey];
assert.ok(configText, `ConfigMap has no "${configKey}"`);
// Placeholders are written as stringData; `data` would be base64.
const secretValues = secret.stringData ?? {};
const containerEnv = Object.fromEntries(
  (container.env ?? []).map((e) => {
    const ref = e.valueFrom?.secretKeyRef;
    return [e.name, ref === undefined ? e.value : secretValues[ref.key]];
  }),
);
let _parsed: ExecboxConfig | undefined;
/** Parsed on first use, so a missing variable fails the tests that need it. */
function config(): ExecboxConfig {
  _parsed ??= parseConfig(
    configText!,
    `/etc/execbox/${configKey}`,
    containerEnv,
  ).config;
  return _parsed;
}

/** One instruction of a Dockerfile: `RUN`, `COPY`, ... and its text. */
interface Instruction {
  keyword: string;
  args: string;
}

/**
 * Splits a Dockerfile into instructions: comments dropped (also inside a
 * continued line, as Docker does), `\` continuations joined.
 */
function _parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("#") || (line === "" && pending === "")) continue;
    const continued = line.endsWith("\\");
    pending += (pending === "" ? "" : " ") +
      (continued ? line.slice(0, -1).trim() : line);
    if (continued) continue;
    const match = /^(\S+)\s*(.*)$/.exec(pending)!;
    instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2]! });
    pending = "";
  }
  assert.equal(pending, "", "Dockerfile ends inside a continued line");
  return instructions;
}

const dockerfile = _parseDockerfile(
  await Deno.readTextFile(`${repo}Dockerfile`),
);

function _instructions(keyword: string): Instruction[] {
  return dockerfile.filter((i) => i.keyword === keyword);
}

/** The `ENTRYPOINT` and `CMD` of the final stage, joined (exec form only). */
function _command(): string[] {
  const last = (keyword: string): string[] => {
    const found = _instructions(keyword).at(-1);
    if (found === undefined) return [];
    assert.ok(
      found.args.startsWith("["),
      `${keyword} must use the exec form (a JSON array)`,
    );
    return JSON.parse(found.args) as string[];
  };
  return [...last("ENTRYPOINT"), ...last("CMD")];
}

function _flag(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at === -1 ? undefined : args[at + 1];
}

/** `ENV` of the Dockerfile, `KEY=value` pairs only. */
function _dockerEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { args } of _instructions("ENV")) {
    for (const pair of args.split(/\s+/)) {
      const [key, ...value] = pair.split("=");
      assert.ok(value.length > 0, `ENV must use KEY=value, got "${pair}"`);
      env[key!] = value.join("=");
    }
  }
  return env;
}

function _mib(quantity: string | undefined): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(
    quantity ?? "",
  );
  if (match === null) {
    throw new RangeError(`Cannot read the quantity "${quantity}"`);
  }
  const factor: Record<string, number> = {
    "": 1,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
  };
  return (Number(match[1]) * factor[match[2] ?? ""]!) / 2 ** 20;
}

function _cpu(quantity: string | undefined): number {
  const match = /^(\d+(?:\.\d+)?)(m)?$/.exec(quantity ?? "");
  if (match === null) {
    throw new RangeError(`Cannot read the CPU quantity "${quantity}"`);
  }
  return Number(match[1]) / (match[2] === "m" ? 1000 : 1);
}

function _selects(
  selector: Record<string, string> | undefined,
  labels: Record<string, string>,
): boolean {
  return selector !== undefined && Object.keys(selector).length > 0 &&
    Object.entries(selector).every(([key, value]) => labels[key] === value);
}

/** A probe's or a Service's port, named or numbered, as a container port. */
function _containerPort(port: number | string | undefined): number {
  if (typeof port === "number") return port;
  const named = container.ports?.find((p) => p.name === port);
  assert.ok(named, `no container port named "${port}"`);
  return named.containerPort;
}

function _effective<K extends keyof SecurityContext>(
  key: K,
): SecurityContext[K] | undefined {
  return container.securityContext?.[key] ?? pod.securityContext?.[key];
}

function _stdioServers(): [string, { command: string; args: string[] }][] {
  return Object.entries(config().mcpServers).flatMap(([name, server]) =>
    "command" in server
      ? [[name, { command: server.command, args: server.args ?? [] }]]
      : []
  );
}

Deno.test("deploy/ manifests parse and share the namespace of namespace.yaml", () => {
  const name = namespace.metadata?.name;
  assert.ok(name);
  assert.ok(manifests.length >= 7, "expected the seven required manifests");
  for (const { file, manifest } of manifests) {
    assert.ok(manifest.apiVersion, `deploy/${file} has no apiVersion`);
    assert.ok(manifest.metadata?.name, `deploy/${file} has no name`);
    if (manifest.kind !== "Namespace") {
      assert.equal(
        manifest.metadata.namespace,
        name,
        `deploy/${file} (${manifest.kind}) is not in namespace "${name}"`,
      );
    }
  }
  assert.equal(
    namespace.metadata?.labels?.["pod-security.kubernetes.io/enforce"],
    "restricted",
  );
});

Deno.test("deploy/deployment.yaml runs as non-root with a read-only root filesystem", () => {
  assert.equal(_effective("runAsNonRoot"), true);
  const user = _effective("runAsUser");
  assert.ok(typeof user === "number" && user > 0, `runAsUser is ${user}`);
  assert.equal(container.securityContext?.readOnlyRootFilesystem, true);
  assert.equal(container.securityContext?.allowPrivilegeEscalation, false);
  assert.notEqual(_effective("privileged"), true);
  assert.ok(container.securityContext?.capabilities?.drop?.includes("ALL"));
  assert.deepEqual(container.securityContext?.capabilities?.add ?? [], []);
  assert.equal(_effective("seccompProfile")?.type, "RuntimeDefault");
  assert.equal(pod.automountServiceAccountToken, false);
  assert.notEqual(pod.hostNetwork, true);
  assert.notEqual(pod.hostPID, true);
  assert.notEqual(pod.hostIPC, true);
  assert.deepEqual(pod.initContainers ?? [], []);
});

Deno.test("deploy/deployment.yaml runs at least two replicas and keeps one through disruptions", () => {
  assert.ok(
    deployment.spec.replicas >= 2,
    `replicas: ${deployment.spec.replicas}`,
  );
  assert.ok(_selects(deployment.spec.selector.matchLabels, podLabels));
  const budget = only("PodDisruptionBudget");
  assert.ok(_selects(budget.spec.selector.matchLabels, podLabels));
  assert.ok(budget.spec.minAvailable >= 1);
  const hpa = only("HorizontalPodAutoscaler");
  assert.equal(hpa.spec.scaleTargetRef.kind, "Deployment");
  assert.equal(hpa.spec.scaleTargetRef.name, deployment.metadata?.name);
  assert.ok(hpa.spec.minReplicas >= 2);
  assert.ok(hpa.spec.maxReplicas >= hpa.spec.minReplicas);
});

Deno.test("deploy/deployment.yaml sizes memory from memoryMb × maxConcurrency in the ConfigMap", async () => {
  const { memoryMb } = config().limits;
  const { size, maxConcurrency } = config().pool;
  // Sizing rests on these; the loader's defaults could change under it.
  assert.ok(memoryMb !== undefined, "set limits.memoryMb explicitly");
  assert.ok(size !== undefined, "set pool.size explicitly");
  assert.ok(maxConcurrency !== undefined, "set pool.maxConcurrency explicitly");
  const tmp = pod.volumes?.find((v) => v.name === "tmp")?.emptyDir;
  const total = (memoryMb + RUNTIME_BASELINE_MB) * maxConcurrency +
    RUNTIME_BASELINE_MB * size +
    BROKER_MIB +
    STDIO_SERVER_MIB * _stdioServers().length +
    (tmp?.medium === "Memory" ? _mib(tmp.sizeLimit) : 0);

  const { requests, limits } = container.resources ?? {};
  const limit = _mib(limits?.memory);
  assert.ok(limit >= total, `memory limit ${limit} MiB < ${total} MiB`);
  assert.ok(_mib(requests?.memory) <= limit);
  assert.ok(_cpu(requests?.cpu) > 0);
  assert.ok(_cpu(limits?.cpu) >= _cpu(requests?.cpu));

  // The arithmetic written next to the limit stays the arithmetic: its
  // terms add up to its total, which is the total computed here.
  const text = await Deno.readTextFile(`${repo}deploy/deployment.yaml`);
  const terms = [...text.matchAll(/^\s*#\s+(\S+)\s.*=\s*(\d+) MiB$/gm)];
  const written = terms.pop();
  assert.ok(written?.[1] === "total", "no sizing comment with a total");
  assert.equal(Number(written[2]), total, "the comment's total is stale");
  const sum = terms.reduce((n, term) => n + Number(term[2]), 0);
  assert.equal(sum, total, "the comment's terms do not add up");
});

Deno.test("deploy/deployment.yaml probes /healthz for liveness and /readyz for readiness on the container port", () => {
  assert.equal(containerPort, 8080);
  const probes: [Probe | undefined, string][] = [
    [container.livenessProbe, "/healthz"],
    [container.readinessProbe, "/readyz"],
  ];
  if (container.startupProbe) probes.push([container.startupProbe, "/healthz"]);
  for (const [probe, path] of probes) {
    assert.equal(probe?.httpGet?.path, path);
    assert.equal(_containerPort(probe?.httpGet?.port), containerPort);
  }
  // /readyz waits for a warm subprocess, which a pool of size 0 never has.
  assert.ok((config().pool.size ?? 0) >= 1, "pool.size 0 is never ready");
});

Deno.test("deploy/deployment.yaml mounts /tmp as a memory-backed emptyDir and everything else read-only", () => {
  const mounts = container.volumeMounts ?? [];
  const tmp = mounts.find((m) => m.mountPath === "/tmp");
  assert.ok(tmp, "/tmp is not mounted");
  const tmpVolume = pod.volumes?.find((v) => v.name === tmp.name);
  assert.equal(tmpVolume?.emptyDir?.medium, "Memory");
  assert.ok(_mib(tmpVolume?.emptyDir?.sizeLimit) > 0);
  for (const mount of mounts) {
    if (mount !== tmp) {
      assert.equal(mount.readOnly, true, `${mount.mountPath} is writable`);
    }
  }

  // The config comes read-only from configmap.yaml, where --config looks.
  const configPath = _flag(_command(), "--config");
  assert.ok(configPath, "the image's command has no --config");
  const dir = configPath.slice(0, configPath.lastIndexOf("/"));
  const mount = mounts.find((m) => m.mountPath === dir);
  assert.ok(mount, `nothing is mounted at ${dir}`);
  const volume = pod.volumes?.find((v) => v.name === mount.name);
  assert.equal(volume?.configMap?.name, configMap.metadata?.name);
  const file = configPath.slice(dir.length + 1);
  const items = volume?.configMap?.items;
  assert.ok(
    items === undefined
      ? file === configKey
      : items.some((i) => i.key === configKey && i.path === file),
    `${configPath} is not the ConfigMap's "${configKey}"`,
  );
});

Deno.test("deploy/deployment.yaml gives every ${VAR} of execbox.jsonc from the Secret", () => {
  const names = [...configText.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)]
    .map((m) => m[1]!);
  assert.ok(names.includes("EXECBOX_TOKEN"));
  for (const name of names) {
    const entry = container.env?.find((e) => e.name === name);
    const ref = entry?.valueFrom?.secretKeyRef;
    assert.ok(ref, `\${${name}} does not come from a Secret`);
    assert.equal(ref.name, secret.metadata?.name);
    assert.ok(ref.key in secretValues, `the Secret has no "${ref.key}"`);
  }
  // Requests must authenticate, with the token from the Secret.
  assert.equal(config().http.token, secretValues["execbox-token"]);
  for (const value of Object.values(secretValues)) {
    assert.ok(
      !configText.includes(value),
      "a secret is written into the ConfigMap",
    );
  }
});

Deno.test("deploy/secret.yaml holds placeholders that say to replace them", () => {
  assert.equal(secret.data, undefined, "write placeholders as stringData");
  assert.ok(Object.keys(secretValues).length > 0);
  for (const [key, value] of Object.entries(secretValues)) {
    assert.match(value, /replace/i, `"${key}" looks like a real secret`);
  }
});

Deno.test("deploy/deployment.yaml lets runs in flight finish and names a pinned image", () => {
  const timeoutMs = config().limits.timeoutMs;
  assert.ok(timeoutMs !== undefined, "set limits.timeoutMs explicitly");
  const grace = pod.terminationGracePeriodSeconds ?? 30;
  assert.ok(grace * 1000 > timeoutMs, `grace ${grace} s <= ${timeoutMs} ms`);
  const tag = /:([^:/@]+)$/.exec(container.image ?? "")?.[1];
  assert.equal(tag, rootJson.version, `image ${container.image}`);
});

Deno.test("deploy/service.yaml is a ClusterIP on port 80 that targets the container port", () => {
  assert.equal(service.spec.type ?? "ClusterIP", "ClusterIP");
  assert.ok(_selects(service.spec.selector, podLabels));
  assert.equal(service.spec.ports.length, 1);
  const [port] = service.spec.ports;
  assert.equal(port.port, 80);
  assert.equal(_containerPort(port.targetPort), containerPort);
});

Deno.test("deploy/networkpolicy.yaml admits ingress only from chosen namespaces on the container port", () => {
  assert.ok(_selects(policy.spec.podSelector.matchLabels, podLabels));
  assert.deepEqual([...policy.spec.policyTypes].sort(), ["Egress", "Ingress"]);
  const rules = policy.spec.ingress as PolicyRule[];
  assert.ok(rules.length > 0);
  for (const rule of rules) {
    assert.ok((rule.from ?? []).length > 0, "an ingress rule admits anyone");
    for (const peer of rule.from!) {
      assert.equal(peer.ipBlock, undefined, "ingress by address");
      assert.ok(peer.namespaceSelector?.matchLabels, "ingress from anywhere");
    }
    assert.ok((rule.ports ?? []).length > 0);
    for (const port of rule.ports!) {
      assert.equal(_containerPort(port.port), containerPort);
    }
  }
});

Deno.test("deploy/networkpolicy.yaml denies egress except DNS, the HTTP upstream servers and the store", () => {
  const rules = policy.spec.egress as PolicyRule[];
  const dns = rules.filter((r) => r.ports?.every((p) => p.port === 53));
  assert.equal(dns.length, 1, "expected one DNS rule");
  assert.deepEqual(
    dns[0]!.ports!.map((p) => p.protocol).sort(),
    ["TCP", "UDP"],
  );
  for (const rule of rules) {
    assert.ok((rule.to ?? []).length > 0, "an egress rule reaches anywhere");
    assert.ok((rule.ports ?? []).length > 0, "an egress rule opens all ports");
    for (const peer of rule.to!) {
      assert.ok(
        !["0.0.0.0/0", "::/0"].includes(peer.ipBlock?.cidr ?? ""),
        "egress to the whole internet",
      );
    }
  }

  // Each HTTP upstream is reachable; nothing else is.
  const opened = new Set<PolicyRule>(dns);
  for (const [name, server] of Object.entries(config().mcpServers)) {
    if (!("url" in server)) continue;
    const url = new URL(server.url);
    const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
    const inCluster = /^[^.]+\.([^.]+)\.svc(\.cluster\.local)?$/.exec(
      url.hostname,
    );
    const allowing = rules.filter((rule) =>
      rule.ports!.some((p) => p.port === port && p.protocol !== "UDP") &&
      rule.to!.some((peer) =>
        inCluster
          ? peer.namespaceSelector?.matchLabels
            ?.["kubernetes.io/metadata.name"] === inCluster[1]
          : peer.ipBlock !== undefined
      )
    );
    assert.ok(allowing.length > 0, `upstream "${name}" (${url}) is blocked`);
    for (const rule of allowing) opened.add(rule);
  }
  // The shared store (store.redis) is reachable too.
  const redis = config().store.redis;
  if (redis !== undefined) {
    const url = new URL(redis);
    const inCluster = /^[^.]+\.([^.]+)\.svc(\.cluster\.local)?$/.exec(
      url.hostname,
    );
    const allowing = rules.filter((rule) =>
      rule.ports!.some((p) => p.port === Number(url.port || 6379)) &&
      rule.to!.some((peer) =>
        inCluster
          ? peer.namespaceSelector?.matchLabels
            ?.["kubernetes.io/metadata.name"] === inCluster[1]
          : peer.ipBlock !== undefined
      )
    );
    assert.ok(allowing.length > 0, `the store (${url.host}) is blocked`);
    for (const rule of allowing) opened.add(rule);
  }
  assert.equal(opened.size, rules.length, "an egress rule serves no upstream");
});

Deno.test("Dockerfile pins its base image to the Deno that CI tests", async () => {
  const ci = await Deno.readTextFile(`${repo}.ci/run`);
  const pinned = /deno@(\d+\.\d+\.\d+)/.exec(ci)?.[1];
  assert.ok(pinned, ".ci/run pins no Deno");
  const froms = _instructions("FROM");
  assert.ok(froms.length > 0);
  for (const { args } of froms) {
    const image = args.split(/\s+/)[0]!;
    assert.doesNotMatch(image, /\$/, `FROM ${image} uses a variable`);
    assert.match(image, /[:@]/, `FROM ${image} has no tag`);
    assert.doesNotMatch(image, /:latest$/, `FROM ${image}`);
  }
  const base = froms.at(-1)!.args.split(/\s+/)[0]!;
  assert.match(base, /^denoland\/deno:(debian-)?\d/);
  assert.equal(/(\d+\.\d+\.\d+)$/.exec(base)?.[1], pinned);
});

Deno.test("Dockerfile runs as the non-root user that deployment.yaml names", () => {
  const user = _instructions("USER").at(-1)?.args;
  assert.ok(user, "no USER: the image runs as root");
  // Numeric, so Kubernetes can check runAsNonRoot against the image.
  const match = /^(\d+)(?::(\d+))?$/.exec(user);
  assert.ok(match, `USER ${user} is not numeric`);
  assert.notEqual(Number(match[1]), 0, "USER is root");
  assert.equal(Number(match[1]), _effective("runAsUser"));
  if (match[2] !== undefined) {
    assert.equal(Number(match[2]), _effective("runAsGroup"));
  }
});

Deno.test("Dockerfile exposes 8080 and its entrypoint serves there from the cache", () => {
  const exposed = _instructions("EXPOSE").flatMap((i) => i.args.split(/\s+/));
  assert.ok(exposed.includes(String(containerPort)), `EXPOSE ${exposed}`);
  const command = _command();
  const main = command.indexOf("cli/main.ts");
  assert.ok(main > 0, `${command} does not run cli/main.ts`);
  assert.equal(command[main + 1], "serve");
  assert.ok(command.slice(0, main).includes("--cached-only"));
  assert.equal(_flag(command, "--port"), String(containerPort));
  assert.equal(_flag(command, "--hostname"), "0.0.0.0");
  assert.equal(container.command, undefined, "deployment.yaml overrides it");
  assert.equal(container.args, undefined, "deployment.yaml overrides it");
});

Deno.test("Dockerfile caches the app and every stdio upstream server at build time", () => {
  const caches = _instructions("RUN").map((i) => i.args)
    .filter((args) => /\bdeno (cache|install)\b/.test(args));
  assert.ok(
    caches.some((args) => /\bdeno cache\b.*\bcli\/main\.ts\b/.test(args)),
  );
  assert.ok(caches.every((args) => /--frozen|--no-lock/.test(args)));
  const denoDir = _dockerEnv().DENO_DIR;
  assert.ok(denoDir, "the Dockerfile sets no DENO_DIR");

  const servers = _stdioServers();
  assert.ok(servers.length > 0, "the ConfigMap shows no stdio server");
  for (const [name, { command, args }] of servers) {
    // Anything else (npx, uvx) would download the server when a pod starts.
    assert.equal(command, "deno", `stdio server "${name}"`);
    assert.ok(args.includes("--cached-only"), `stdio server "${name}"`);
    const specifier = args.find((a) => /^(npm|jsr):/.test(a));
    assert.ok(specifier, `stdio server "${name}" runs no package`);
    assert.match(specifier, /@\d[^/]*$/, `${specifier} has no exact version`);
    assert.ok(
      caches.some((c) => c.split(/\s+/).includes(specifier)),
      `the Dockerfile does not cache ${specifier}`,
    );
    const server = config().mcpServers[name]!;
    assert.ok("command" in server);
    assert.equal(server.env?.DENO_DIR, denoDir, `stdio server "${name}"`);
  }
});

Deno.test("Dockerfile's build context holds every module the CLI loads", async () => {
  const patterns = (await Deno.readTextFile(`${repo}.dockerignore`))
    .split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  for (const pattern of patterns) {
    // Only what the matcher below understands.
    assert.match(pattern, /^(\*|!?[\w.-]+(\/[\w.-]+)*)$/, pattern);
  }
  const included = (path: string): boolean => {
    let result = true;
    for (const pattern of patterns) {
      const negated = pattern.startsWith("!");
      const name = negated ? pattern.slice(1) : pattern;
      if (name === "*" || path === name || path.startsWith(`${name}/`)) {
        result = negated;
      }
    }
    return result;
  };

  const info = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "cli/main.ts"],
    cwd: repo,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert.ok(info.success, "deno info failed");
  const graph = JSON.parse(new TextDecoder().decode(info.stdout)) as {
    modules: { specifier: string }[];
  };
  const local = graph.modules
    .filter((m) => m.specifier.startsWith(`file://${repo}`))
    .map((m) => fromFileUrl(new URL(m.specifier)).slice(repo.length));
  assert.ok(local.includes("cli/main.ts"));
  const workspace = (rootJson as { workspace?: string[] }).workspace ?? [];
  const members = workspace.map((w) => `${w.replace(/^\.\//, "")}/deno.json`);
  for (const path of [...local, "deno.json", "deno.lock", ...members]) {
    assert.ok(included(path), `.dockerignore leaves out ${path}`);
  }

  // `deno install` runs before the sources arrive: every workspace member's
  // deno.json must be copied ahead of it.
  const install = dockerfile.findIndex((i) =>
    i.keyword === "RUN" && /\bdeno install\b/.test(i.args)
  );
  const copied = dockerfile.slice(0, install)
    .filter((i) => i.keyword === "COPY")
    .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
  for (const file of ["deno.json", "deno.lock", ...members]) {
    assert.ok(copied.includes(file), `${file} is not copied before install`);
  }
});
