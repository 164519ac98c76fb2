/**
 * Running the toolchain's binaries: `validate` of a rendered config, and long-running processes on loopback for the
 * pipeline tests and benchmarks. Every process started here is stopped by its caller, and killed if Node exits first.
 * Nothing is given an address off loopback; the AWS SDK inside Jaeger is kept off the metadata address.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { createServer } from "node:net";
import { join } from "node:path";
import { toolchainBinary } from "./paths";

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
  /** Its process id (undefined if it could not be started). */
  pid(): number | undefined;
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
    pid: () => child.pid,
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

/** Asks the kernel for a free loopback TCP port. */
/** The kernel's ephemeral port range (outgoing connections take their local port from it). */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    if (low > 0 && high >= low) return [low, high];
  } catch {
    // Not Linux: the IANA range.
  }
  return [49152, 65535];
}

const issuedPorts = new Set<number>();

/**
 * A loopback port free right now, for a peer to listen on. It is chosen below the kernel's ephemeral range, so no
 * outgoing connection (of a peer, of this process) can take it between this check and the peer's bind, and never
 * handed out twice in one process.
 */
export async function freePort(): Promise<number> {
  const [ephemeralLow] = ephemeralRange();
  const low = 10_000;
  const high = Math.max(low + 1000, ephemeralLow - 1);
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low));
    if (issuedPorts.has(port)) continue;
    issuedPorts.add(port);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once("error", () => resolve(false));
      server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
    });
    if (free) return port;
    issuedPorts.delete(port);
  }
  throw new Error(`no free loopback port between ${low} and ${high} after 100 tries`);
}

/** Rebinds every `0.0.0.0:<port>` listener (and the metrics pull reader) of `doc` to a free loopback port; returns old -> new. */
export async function onLoopback(doc: Record<string, any>): Promise<Map<number, number>> {
  const ports = new Map<number, number>();
  const rebind = async (port: number) => {
    if (!ports.has(port)) ports.set(port, await freePort());
    return ports.get(port)!;
  };
  const walk = async (node: unknown): Promise<void> => {
    if (Array.isArray(node)) for (const item of node) await walk(item);
    else if (node && typeof node === "object") {
      const o = node as Record<string, any>;
      for (const [k, v] of Object.entries(o)) {
        const m = typeof v === "string" ? /^0\.0\.0\.0:(\d+)$/.exec(v) : null;
        if (m) o[k] = `127.0.0.1:${await rebind(Number(m[1]))}`;
        else await walk(v);
      }
      if (o.host === "0.0.0.0" && typeof o.port === "number") Object.assign(o, { host: "127.0.0.1", port: await rebind(o.port) });
    }
  };
  await walk(doc);
  return ports;
}

