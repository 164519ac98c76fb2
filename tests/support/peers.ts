/**
 * Runs the collector and Jaeger builds of the toolchain: `validate` of a rendered config, and long-running processes
 * on loopback for the pipeline tests. Every process started here is stopped by its test, and killed if mocha exits
 * first. Nothing is given an address off loopback; the AWS SDK inside Jaeger is kept off the metadata address.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { strict as assert } from "node:assert";
import { toolchainBinary } from "../../toolchain/paths";
import type { Rendered } from "./harness";

/** Keeps any AWS SDK on loopback: no instance-metadata probe, static dummy credentials. */
export const offlineAws: Record<string, string> = {
  AWS_EC2_METADATA_DISABLED: "true",
  AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
  AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  AWS_REGION: "eu-west-1",
};

/** The environment a peer gets: PATH and HOME only, plus what the test names (never the developer's cloud settings). */
function peerEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...offlineAws, ...extra };
}

export interface ValidateResult {
  code: number;
  output: string;
}

/** `<binary> validate --config=<file>`: the binary's own config check (unknown keys, component configs, pipelines). */
export function validateConfig(binary: "otelcol" | "jaeger", file: string, env: Record<string, string> = {}): Promise<ValidateResult> {
  return new Promise((resolve, reject) => {
    execFile(toolchainBinary(binary), ["validate", `--config=${file}`], { env: peerEnv(env), timeout: 60_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number") reject(new Error(`${binary} validate ${file} did not complete: ${error.message}`));
      else resolve({ code: error ? (error.code as number) : 0, output: stdout + stderr });
    });
  });
}

/** A peer process started by {@link startPeer}. */
export interface Peer {
  readonly name: string;
  /** Everything it wrote to stdout and stderr so far. */
  logs(): string;
  /** Whether it has exited. */
  exited(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

/** Starts a toolchain binary with `args` and a clean environment. */
export function startPeer(name: string, binary: string, args: string[], o: { env?: Record<string, string>; cwd?: string } = {}): Peer {
  const child = spawn(toolchainBinary(binary), args, { cwd: o.cwd, env: peerEnv(o.env ?? {}), stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  let log = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => (log += c));
  child.stderr.setEncoding("utf8").on("data", (c: string) => (log += c));
  const done = new Promise<void>((resolve) => child.once("exit", () => (live.delete(child), resolve())));
  return {
    name,
    logs: () => log,
    exited: () => child.exitCode !== null || child.signalCode !== null,
    async stop(graceMs = 10_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
        await done;
        clearTimeout(timer);
      }
    },
  };
}

/** Polls `probe` every 200 ms until it returns a value; fails after `ms` naming what was awaited and the peers' logs. */
export async function eventually<T>(what: string, ms: number, probe: () => Promise<T | undefined>, peers: Peer[] = []): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    for (const p of peers) if (p.exited()) throw new Error(`${p.name} exited while waiting for ${what}:\n${p.logs().slice(-4000)}`);
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${ms} ms waiting for ${what}\n${peers.map((p) => `--- ${p.name}\n${p.logs().slice(-3000)}`).join("\n")}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A fresh temp dir, removed by the returned function. */
export async function tempDir(prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Parses the Prometheus text exposition into `name{labels} -> value` sums by metric name and a label filter. */
export function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    const m = /^([A-Za-z_:][\w:.]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const set = Object.fromEntries([...(m[3] ?? "").matchAll(/([\w.]+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => set[k] === v)) sum += Number(m[4]);
  }
  return sum;
}

/** The container that reads `file` (through a ConfigMap volume), with the workload it belongs to. */
export function readerOf(r: Rendered, file: string): { workload: Record<string, any>; container: Record<string, any> } {
  for (const { owner, spec } of r.podTemplates()) {
    const volumes = (spec.volumes ?? []) as Record<string, any>[];
    for (const container of [...(spec.initContainers ?? []), ...spec.containers] as Record<string, any>[]) {
      const reads = (container.volumeMounts ?? []).some((m: Record<string, any>) => {
        const name = volumes.find((v) => v.name === m.name)?.configMap?.name;
        return name && r.objects("ConfigMap").some((cm) => cm.metadata.name === name && cm.metadata.namespace === owner.metadata.namespace && file in (cm.data ?? {}));
      });
      if (reads && (container.args ?? []).some((a: string) => a.includes(file))) return { workload: owner, container };
    }
  }
  throw new Error(`no container reads ${file}`);
}

/** The container's environment as the kubelet would give it, downward-API values replaced by loopback stand-ins. */
export function containerEnv(container: Record<string, any>): Record<string, string> {
  const standIn: Record<string, string> = { "status.podIP": "127.0.0.1", "spec.nodeName": "node-1", "metadata.name": "pod-0", "metadata.namespace": "test" };
  return Object.fromEntries(
    ((container.env ?? []) as Record<string, any>[]).map((e) => {
      if (typeof e.value === "string") return [e.name, e.value];
      const field = e.valueFrom?.fieldRef?.fieldPath;
      assert.ok(field && standIn[field], `env ${e.name}: no stand-in for ${JSON.stringify(e.valueFrom)}`);
      return [e.name, standIn[field]];
    }),
  );
}

/** Points every directory a config keeps state in at `dir` (the pod gets them from volumes). */
export function withLocalState(doc: Record<string, any>, dir: string): Record<string, any> {
  const copy = structuredClone(doc);
  for (const [name, ext] of Object.entries((copy.extensions ?? {}) as Record<string, any>)) {
    if (name.startsWith("file_storage")) ext.directory = join(dir, name);
    for (const backend of Object.values((ext?.backends ?? {}) as Record<string, any>)) {
      if (backend.badger?.directories) backend.badger.directories = { keys: join(dir, "keys"), values: join(dir, "values") };
    }
  }
  return copy;
}
