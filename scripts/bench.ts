/**
 * `npm run bench`: times a cold render of each stack (a fresh process per run) and, in the same run, the bare import
 * of the Pulumi SDKs (the floor), and prints the medians, their ratio and peak memory. Then the real engine
 * (bench/engine.ts): preview and up of the local stack against a real API server, against the preview of a
 * one-resource program. A benchmark, not a test: it prints figures and fails only if a run fails.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { buildToolchain } from "../toolchain";
import { benchEngine } from "./bench/engine";
import { defaultProjectDir, stackNames } from "./synth";
import { median } from "./bench/median";

const runs = Number(process.env.BENCH_RUNS ?? 5);

interface Sample {
  wallMs: number;
  maxRssKiB: number;
}

function measure(script: string, args: string[]): Sample {
  const probeOut = path.join(os.tmpdir(), `bench-probe-${process.pid}.json`);
  const started = performance.now();
  const r = spawnSync(
    process.execPath,
    ["-r", "ts-node/register/transpile-only", "-r", path.join(__dirname, "bench", "probe.ts"), script, ...args],
    { cwd: defaultProjectDir, env: { ...process.env, BENCH_PROBE_OUT: probeOut }, encoding: "utf8" },
  );
  const elapsed = performance.now() - started;
  if (r.status !== 0) throw new Error(`${script} ${args.join(" ")} exited ${r.status}:\n${r.stderr}`);
  const probe = JSON.parse(fs.readFileSync(probeOut, "utf8")) as Sample;
  fs.rmSync(probeOut);
  // Wall time as the user sees it: process start to exit, including Node's own start-up.
  return { wallMs: elapsed, maxRssKiB: probe.maxRssKiB };
}

async function main() {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "bench-render-"));
  const targets: [string, string, string[]][] = [
    ["SDK import (floor)", path.join(__dirname, "bench", "floor.ts"), []],
    ...stackNames(defaultProjectDir).map(
      (s): [string, string, string[]] => [`render ${s}`, path.join(__dirname, "render.ts"), ["--stack", s, "--out", out]],
    ),
  ];
  const results = new Map<string, { wall: number; rss: number }>();
  // Interleave targets so drift on a shared machine affects them alike.
  const samples = new Map<string, Sample[]>(targets.map(([n]) => [n, []]));
  for (let i = 0; i < runs; i++) for (const [name, script, args] of targets) samples.get(name)!.push(measure(script, args));
  for (const [name, xs] of samples) {
    results.set(name, { wall: median(xs.map((x) => x.wallMs)), rss: Math.max(...xs.map((x) => x.maxRssKiB)) });
  }
  fs.rmSync(out, { recursive: true, force: true });

  const floor = results.get("SDK import (floor)")!;
  console.log(`cold runs per target: ${runs} (median wall time, max peak RSS), node ${process.version}, ${os.cpus().length} CPUs`);
  console.log(`${"target".padEnd(22)} ${"wall".padStart(9)} ${"x floor".padStart(8)} ${"peak RSS".padStart(10)}`);
  for (const [name, r] of results) {
    console.log(`${name.padEnd(22)} ${`${(r.wall / 1000).toFixed(2)}s`.padStart(9)} ${(r.wall / floor.wall).toFixed(2).padStart(8)} ${`${(r.rss / 1024).toFixed(0)} MB`.padStart(10)}`);
  }
}

main()
  .then(async () => {
    console.log("");
    // The engine's peers (Pulumi CLI, Kubernetes provider, control plane, kwok): built once, then a no-op.
    await buildToolchain(["engine"]);
    await benchEngine(Math.min(runs, 3));
  })
  .catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
