/**
 * Running the go command for the toolchain: every call prints what it is doing and how long it has taken, and a
 * failure is an error naming the module and version that was being built, with the tail of go's own output.
 */
import { spawn } from "node:child_process";

/** The module a step works on, for progress lines and error messages. */
export interface Subject {
  module: string;
  version: string;
}

/** The go command's environment: the default module and build caches, our Go only, never a downloaded toolchain. */
export function goEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, GOTOOLCHAIN: "local", GOFLAGS: "-buildvcs=false", CGO_ENABLED: "0", ...extra };
}

export function formatElapsed(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

/** Raised when a go command fails; the message names the module, version and step. */
export class BuildError extends Error {}

const refusal = /(404 Not Found|410 Gone|403 Forbidden|not found: |verifying .*: checksum mismatch|SECURITY ERROR|unknown revision|invalid version)/;

/**
 * Runs `<binary> <args>` in `cwd` (the go command by default) with the toolchain's Go environment, printing a
 * progress line every `tickMs` while it runs. Resolves with stdout; rejects with a BuildError that says whether the
 * module proxy refused something or the step itself failed.
 */
export function go(
  args: string[],
  o: { cwd: string; subject: Subject; step: string; env?: Record<string, string>; log: (line: string) => void; tickMs?: number; binary?: string },
): Promise<string> {
  const started = Date.now();
  const binary = o.binary ?? "go";
  const label = `${o.subject.module}@${o.subject.version}`;
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { cwd: o.cwd, env: goEnv(o.env), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    const ticker = setInterval(() => o.log(`    ... ${o.step} (${formatElapsed(Date.now() - started)})`), o.tickMs ?? 30_000);
    child.once("error", (e) => {
      clearInterval(ticker);
      reject(new BuildError(`${label}: could not run ${binary} (${e.message})${binary === "go" ? "; the Go toolchain must be on PATH" : ""}`));
    });
    child.once("close", (code) => {
      clearInterval(ticker);
      if (code === 0) {
        resolve(stdout);
        return;
      }
      const tail = (stderr + stdout).trim().split("\n").slice(-15).join("\n");
      const refused = tail.split("\n").find((l) => refusal.test(l));
      const what = refused
        ? `the Go module proxy or checksum database refused a module while ${o.step}: ${refused.trim()}`
        : `${o.step} failed (${binary} ${args.join(" ")}, exit ${code})`;
      reject(new BuildError(`${label}: ${what}\n${tail}`));
    });
  });
}
