/**
 * Runs the real Prometheus and Alertmanager tools, at the versions the stack deploys (built by the toolchain),
 * against generated documents. Every helper writes into a fresh temp dir, runs the tool there and removes
 * the dir afterwards. A missing binary is an error saying how to build it, never a skipped test.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { toGoYaml } from "../../rules/yaml";
import { toolchainBinary } from "../../toolchain/paths";
import { freePort as freeLoopbackPort, eventually, startPeer } from "../../toolchain/run";

/** Exit code and output of one tool run. */
export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A document to write: strings are written verbatim, anything else is serialised as YAML. */
export type Document = string | object;

/** Extra files (path relative to the work dir -> content) and extra command-line flags for a run. */
export interface RunOptions {
  files?: Record<string, Document>;
  args?: string[];
  timeoutMs?: number;
}

function render(document: Document): string {
  return typeof document === "string" ? document : toGoYaml(document);
}

async function writeFiles(dir: string, files: Record<string, Document>): Promise<void> {
  for (const [relative, document] of Object.entries(files)) {
    const path = join(dir, relative);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, render(document));
  }
}

function run(binary: string, args: string[], cwd: string, timeoutMs: number): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    execFile(binary, args, { cwd, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number") {
        reject(new Error(`${binary} ${args.join(" ")} did not complete: ${error.message}\n${stderr}`));
        return;
      }
      resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}

/** Creates a temp dir, writes `files` into it, runs the tool with args built from the dir, and removes it. */
async function inTempDir(
  binaryName: string,
  files: Record<string, Document>,
  buildArgs: (dir: string) => string[],
  timeoutMs = 60_000,
): Promise<ToolResult> {
  const binary = toolchainBinary(binaryName);
  const dir = await mkdtemp(join(tmpdir(), "prom-tools-"));
  try {
    await writeFiles(dir, files);
    return await run(binary, buildArgs(dir), dir, timeoutMs);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * `promtool check config` on a prometheus.yml. Files it references (rule files, SD files) can be given in
 * `options.files`, relative to the config's dir; pass `args: ["--syntax-only"]` to skip checks of files that
 * only exist in the pod (service-account token, TLS CA).
 */
export function promtoolCheckConfig(config: Document, options: RunOptions = {}): Promise<ToolResult> {
  return inTempDir("promtool", { ...options.files, "prometheus.yml": config }, () => [
    "check", "config", ...(options.args ?? []), "prometheus.yml",
  ], options.timeoutMs);
}

/** `promtool check rules` on every given rule file (file name -> rule file document). */
export function promtoolCheckRules(ruleFiles: Record<string, Document>, options: RunOptions = {}): Promise<ToolResult> {
  return inTempDir("promtool", { ...options.files, ...ruleFiles }, () => [
    "check", "rules", ...(options.args ?? []), ...Object.keys(ruleFiles),
  ], options.timeoutMs);
}

/**
 * `promtool test rules` on one unit-test document. `ruleFiles` are written next to it, so its `rule_files`
 * entries name them by file name.
 */
export function promtoolTestRules(
  testDocument: Document,
  ruleFiles: Record<string, Document>,
  options: RunOptions = {},
): Promise<ToolResult> {
  return inTempDir("promtool", { ...options.files, ...ruleFiles, "tests.yml": testDocument }, () => [
    "test", "rules", ...(options.args ?? []), "tests.yml",
  ], options.timeoutMs);
}

/** `amtool check-config` on an alertmanager.yml. */
export function amtoolCheckConfig(config: Document, options: RunOptions = {}): Promise<ToolResult> {
  return inTempDir("amtool", { ...options.files, "alertmanager.yml": config }, () => [
    "check-config", ...(options.args ?? []), "alertmanager.yml",
  ], options.timeoutMs);
}

/** Result of `amtool config routes test`: the tool result plus the receivers it printed, in tree order. */
export interface RoutesTestResult extends ToolResult {
  receivers: string[];
}

/**
 * `amtool config routes test` for one label set. With `verifyReceivers`, amtool itself fails (non-zero code)
 * when the alert does not resolve to exactly those receivers.
 */
export async function amtoolRoutesTest(
  config: Document,
  labels: Record<string, string>,
  options: RunOptions & { verifyReceivers?: string[] } = {},
): Promise<RoutesTestResult> {
  const labelArgs = Object.entries(labels).map(([name, value]) => `${name}=${value}`);
  const verify = options.verifyReceivers ? [`--verify.receivers=${options.verifyReceivers.join(",")}`] : [];
  const result = await inTempDir("amtool", { ...options.files, "alertmanager.yml": config }, () => [
    "config", "routes", "test", "--config.file=alertmanager.yml", ...verify, ...(options.args ?? []), ...labelArgs,
  ], options.timeoutMs);
  // The first stdout line is the resolved receivers even when --verify.receivers fails.
  const firstLine = result.stdout.split("\n")[0].trim();
  const receivers = /^[^\s,]+(,[^\s,]+)*$/.test(firstLine) ? firstLine.split(",") : [];
  return { ...result, receivers };
}

export { freePort as freeLoopbackPort } from "../../toolchain/run";

/** A running Alertmanager started by {@link startAlertmanager}. */
export interface RunningAlertmanager {
  /** Base URL without trailing slash, e.g. http://127.0.0.1:40123 */
  url: string;
  /** The process's temp dir: config, storage and any extra files. */
  workDir: string;
  /** Everything the process wrote to stderr so far (its log). */
  logs(): string;
  /** Stops the process (SIGTERM, then SIGKILL after 5 s), waits for it to exit and removes the temp dir. */
  stop(): Promise<void>;
}

/**
 * Starts a real Alertmanager on a free loopback port with gossip disabled and waits until `/-/ready` answers; any
 * warning or error it logs while starting fails the start.
 * `config` may be a function of the work dir, so credential files (`*_file` fields) can point into it; extra
 * `files` are written there, relative to it, before start.
 */
export async function startAlertmanager(
  config: Document | ((workDir: string) => Document),
  options: { files?: Record<string, Document>; readyTimeoutMs?: number; dataRetention?: string } = {},
): Promise<RunningAlertmanager> {
  const workDir = await mkdtemp(join(tmpdir(), "alertmanager-"));
  const port = await freeLoopbackPort();
  const url = `http://127.0.0.1:${port}`;
  await writeFiles(workDir, {
    ...options.files,
    "alertmanager.yml": typeof config === "function" ? config(workDir) : config,
  });
  await mkdir(join(workDir, "data"));
  const peer = startPeer("alertmanager", "alertmanager", [
    `--config.file=${join(workDir, "alertmanager.yml")}`,
    `--storage.path=${join(workDir, "data")}`,
    `--web.listen-address=127.0.0.1:${port}`,
    "--cluster.listen-address=",
    `--web.external-url=${url}`,
    ...(options.dataRetention ? [`--data.retention=${options.dataRetention}`] : []),
  ], { cwd: workDir });
  const stop = async (): Promise<void> => {
    await peer.stop(5_000);
    await rm(workDir, { recursive: true, force: true });
  };
  try {
    await eventually(`alertmanager ready on ${url}`, options.readyTimeoutMs ?? 15_000, async () => ((await fetch(`${url}/-/ready`)).ok ? true : undefined), [peer]);
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}\n${peer.logs()}`);
  }
  // A warning at start is a setting the deployed release reads differently from what we meant.
  const warnings = peer.logs().split("\n").filter((l) => /level=(WARN|ERROR)/.test(l));
  if (warnings.length > 0) {
    await stop();
    throw new Error(`alertmanager warned at start:\n${warnings.join("\n")}`);
  }
  return { url, workDir, logs: () => peer.logs(), stop };
}

/** A running Prometheus started by {@link startPrometheus}. */
export interface RunningPrometheus {
  /** Base URL without trailing slash. */
  url: string;
  /** Everything the process logged so far. */
  logs(): string;
  /** Stops the process and waits for it to exit (the caller owns the work dir). */
  stop(): Promise<void>;
}

/**
 * Writes `files` (prometheus.yml and what it names, relative to `workDir`) and starts the deployed Prometheus there on
 * a free loopback port; resolves once `/-/ready` answers, fails with its log if it exits or never gets ready.
 */
export async function startPrometheus(workDir: string, files: Record<string, Document>): Promise<RunningPrometheus> {
  await writeFiles(workDir, files);
  const port = await freeLoopbackPort();
  const url = `http://127.0.0.1:${port}`;
  const peer = startPeer("prometheus", "prometheus", [
    "--config.file=prometheus.yml", `--storage.tsdb.path=${join(workDir, "data")}`, `--web.listen-address=127.0.0.1:${port}`,
  ], { cwd: workDir });
  try {
    await eventually(`prometheus ready on ${url}`, 15_000, async () => ((await fetch(`${url}/-/ready`)).ok ? true : undefined), [peer]);
  } catch (e) {
    await peer.stop();
    throw new Error(`${(e as Error).message}\n${peer.logs()}`);
  }
  return { url, logs: () => peer.logs(), stop: () => peer.stop(5_000) };
}
