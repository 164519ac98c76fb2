/**
 * `npm run toolchain [-- <name or group>...]`: builds the real peers (./peers.ts: `unit`, what `npm test` runs;
 * ./engine.ts: `engine`, a Kubernetes control plane, kwok and the Pulumi engine) into `.toolchain/bin`; no argument
 * builds both groups.
 * Each peer is stamped with what decided its build (module, version, components, Go version), so a second run does
 * nothing; a changed versions table rebuilds exactly the peers it changed. A first run on a machine with cold Go
 * caches takes about an hour on 2 cores (the README has the measured times).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatElapsed, goEnv } from "./go";
import { toolchainDir } from "./paths";
import { enginePeerRecipes } from "./engine";
import { recipes, resetDir, type Recipe } from "./peers";
import { checkovRecipe } from "./python";

function stampOf(recipe: Recipe, goVersion: string): string {
  return JSON.stringify({ release: recipe.release, inputs: recipe.inputs, go: goVersion }, null, 2) + "\n";
}

export async function buildToolchain(names: string[], log: (line: string) => void = console.log): Promise<void> {
  const root = toolchainDir();
  const binDir = join(root, "bin");
  mkdirSync(binDir, { recursive: true });
  mkdirSync(join(root, "stamps"), { recursive: true });
  const groups: Record<string, Recipe[]> = { unit: [...recipes(), checkovRecipe()], engine: enginePeerRecipes() };
  const all = Object.values(groups).flat();
  const unknown = names.filter((n) => !(n in groups) && !all.some((r) => r.name === n));
  if (unknown.length > 0) {
    throw new Error(`unknown peer ${unknown.map((n) => `"${n}"`).join(", ")}; allowed: ${[...Object.keys(groups), ...all.map((r) => r.name)].join(", ")}`);
  }
  const wanted = new Set(names.flatMap((n) => (groups[n] ?? all.filter((r) => r.name === n)).map((r) => r.name)));
  const chosen = names.length > 0 ? all.filter((r) => wanted.has(r.name)) : all;
  const goVersion = execFileSync("go", ["env", "GOVERSION"], { env: goEnv(), encoding: "utf8" }).trim();
  const started = Date.now();
  let built = 0;
  for (const recipe of chosen) {
    const stampPath = join(root, "stamps", `${recipe.name}.json`);
    const stamp = stampOf(recipe, goVersion);
    const present = recipe.binaries.every((b) => existsSync(join(binDir, b)));
    const what = `${recipe.name} ${recipe.release} (${recipe.binaries.join(", ")})`;
    if (present && existsSync(stampPath) && readFileSync(stampPath, "utf8") === stamp) {
      log(`toolchain: ${what} is up to date`);
      continue;
    }
    log(`toolchain: building ${what} from ${recipe.subject.module}@${recipe.subject.version} with ${goVersion} (cold Go caches: up to about 8 minutes on 2 cores)`);
    const t0 = Date.now();
    const buildDir = join(root, "build", recipe.name);
    resetDir(buildDir);
    rmSync(stampPath, { force: true });
    await recipe.build({ buildDir, binDir, log });
    writeFileSync(stampPath, stamp);
    rmSync(buildDir, { recursive: true, force: true });
    built++;
    log(`toolchain: built ${what} in ${formatElapsed(Date.now() - t0)}`);
  }
  log(`toolchain: ${chosen.length} peer(s) ready in ${join(root, "bin")} (${built} built, ${formatElapsed(Date.now() - started)})`);
}

if (require.main === module) {
  buildToolchain(process.argv.slice(2)).catch((e: unknown) => {
    console.error(`toolchain: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
