/**
 * What the toolchain builds: one recipe per real peer, each read from the versions table, so the binaries the tests
 * run are the releases the stack deploys. Every recipe builds from the Go module proxy alone (no binary downloads,
 * nothing vendored) with `-trimpath`, so the Go build cache is reused whatever folder the project is cloned into.
 */
import { chmodSync, cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkers, release, versions, type Peer } from "../config/versions";
import { go, type Subject } from "./go";
import { otelcolManifest, otelcolModules } from "./otelcol";

export interface BuildContext {
  /** A scratch folder of this recipe, emptied before each build. */
  buildDir: string;
  /** Where finished binaries go (`.toolchain/bin`). */
  binDir: string;
  log: (line: string) => void;
}

export interface Recipe {
  /** The name `npm run toolchain -- <name>` takes. */
  name: string;
  /** The release it builds, as the image tag names it. */
  release: string;
  subject: Subject;
  binaries: string[];
  /** Everything that decides the output; a change rebuilds (the stamp). */
  inputs: unknown;
  build(ctx: BuildContext): Promise<void>;
}

const wrapperModule = (name: string) => `module sigma-observability.local/toolchain/${name}\n\ngo 1.24\n`;

/** Makes a copied module-cache tree writable (the cache stores it read-only), so it can be built and removed. */
function makeWritable(path: string): void {
  const stat = statSync(path);
  chmodSync(path, stat.mode | 0o200 | (stat.isDirectory() ? 0o100 : 0));
  if (stat.isDirectory()) for (const entry of readdirSync(path)) makeWritable(join(path, entry));
}

/** `go mod download -json` of one module: its source folder in the module cache and its commit time. */
export async function downloadModule(subject: Subject, ctx: BuildContext): Promise<{ dir: string; time: string }> {
  const out = await go(["mod", "download", "-json", `${subject.module}@${subject.version}`], {
    cwd: ctx.buildDir, subject, step: "downloading the module", log: ctx.log,
  });
  const info = JSON.parse(out) as { Dir?: string; Info?: string; Error?: string };
  if (info.Error || !info.Dir || !info.Info) throw new Error(`${subject.module}@${subject.version}: ${info.Error ?? "no source folder"}`);
  const time = (JSON.parse(readFileSync(info.Info, "utf8")) as { Time: string }).Time;
  return { dir: info.Dir, time };
}

/** A writable copy of a module's source, out of the read-only module cache, in `<buildDir>/src`; and its commit time. */
export async function copyModule(subject: Subject, ctx: BuildContext): Promise<{ src: string; time: string }> {
  const { dir, time } = await downloadModule(subject, ctx);
  const src = join(ctx.buildDir, "src");
  cpSync(dir, src, { recursive: true });
  makeWritable(src);
  return { src, time };
}

/**
 * Prometheus and Alertmanager refuse `go install` (their go.mod has replace and exclude directives), so the module
 * is copied out of the cache and its commands are built inside it, stamped the way their release builds are.
 */
function prometheusProject(name: "prometheus" | "alertmanager", commands: string[]): Recipe {
  const peer: Peer = versions[name].peer;
  const rel = release(name);
  return {
    name,
    release: rel,
    subject: peer,
    binaries: commands,
    inputs: { peer, commands },
    async build(ctx) {
      const { src, time } = await copyModule(peer, ctx);
      await go(["mod", "download"], { cwd: src, subject: peer, step: "downloading dependencies", log: ctx.log });
      const stamp = "github.com/prometheus/common/version";
      const ldflags = [
        "-s", "-w",
        `-X ${stamp}.Version=${rel}`,
        `-X ${stamp}.Revision=${peer.version}`,
        `-X ${stamp}.Branch=HEAD`,
        `-X ${stamp}.BuildUser=sigma-observability-toolchain`,
        `-X ${stamp}.BuildDate=${time}`,
      ].join(" ");
      await go(["build", "-trimpath", "-ldflags", ldflags, "-o", ctx.binDir + "/", ...commands.map((c) => `./cmd/${c}`)], {
        cwd: src, subject: peer, step: `building ${commands.join(", ")}`, log: ctx.log,
      });
    },
  };
}

/** One command of a wrapper build: the package and the binary name it is built to. */
interface Command {
  pkg: string;
  binary: string;
}

/**
 * Commands built from a small generated module that requires their module (plus `replace` lines where the upstream
 * module's own go.mod points at folders the published module does not have) and imports the commands from a
 * build-tagged file, so `go mod tidy` resolves exactly what they need.
 */
export function wrapperBuild(o: {
  name: string;
  release: string;
  subject: Subject;
  requires: Subject[];
  commands: Command[];
  ldflags?: string[];
  /** Extra replace lines, computed once the required modules are downloaded. */
  replaces?: (ctx: BuildContext) => Promise<[string, string][]>;
}): Recipe {
  return {
    name: o.name,
    release: o.release,
    subject: o.subject,
    binaries: o.commands.map((c) => c.binary),
    inputs: { requires: o.requires, commands: o.commands, ldflags: o.ldflags ?? [] },
    async build(ctx) {
      const replaces = o.replaces ? await o.replaces(ctx) : [];
      const goMod = [
        wrapperModule(o.name),
        `require (\n${o.requires.map((r) => `\t${r.module} ${r.version}\n`).join("")})\n`,
        replaces.length > 0 ? `replace (\n${replaces.map(([from, to]) => `\t${from} => ${to}\n`).join("")})\n` : "",
      ].join("\n");
      writeFileSync(join(ctx.buildDir, "go.mod"), goMod);
      writeFileSync(
        join(ctx.buildDir, "tools.go"),
        `//go:build tools\n\npackage tools\n\nimport (\n${o.commands.map((c) => `\t_ "${c.pkg}"\n`).join("")})\n`,
      );
      await go(["mod", "tidy"], { cwd: ctx.buildDir, subject: o.subject, step: "resolving modules", log: ctx.log });
      for (const c of o.commands) {
        await go(["build", "-trimpath", "-ldflags", ["-s", "-w", ...(o.ldflags ?? [])].join(" "), "-o", join(ctx.binDir, c.binary), c.pkg], {
          cwd: ctx.buildDir, subject: o.subject, step: `building ${c.binary}`, log: ctx.log,
        });
      }
    },
  };
}

/** A single command of a module that builds as it is published. */
export function toolCommand(name: string, rel: string, subject: Subject, pkg: string, binary: string, ldflags: string[] = []): Recipe {
  return wrapperBuild({ name, release: rel, subject, requires: [subject], commands: [{ pkg, binary }], ldflags });
}

/**
 * The collector with exactly the components our configs use, built by the OpenTelemetry Collector Builder of the
 * same release (a builder of another release compiles, then fails at start).
 */
function otelcol(): Recipe {
  const builder: Peer = versions.collector.peer;
  const rel = release("collector");
  const modules = otelcolModules(rel);
  return {
    name: "otelcol",
    release: rel,
    subject: builder,
    binaries: ["otelcol"],
    inputs: { builder, modules },
    async build(ctx) {
      const gobin = join(ctx.buildDir, "bin");
      await go(["install", `${builder.module}@${builder.version}`], {
        cwd: ctx.buildDir, subject: builder, step: "building the collector builder", env: { GOBIN: gobin }, log: ctx.log,
      });
      const dist = join(ctx.buildDir, "dist");
      writeFileSync(join(ctx.buildDir, "manifest.yaml"), otelcolManifest(rel, dist, modules));
      await go(["--config", "manifest.yaml", "--skip-compilation"], {
        binary: join(gobin, "builder"), cwd: ctx.buildDir, subject: builder, step: "generating the collector's sources", log: ctx.log,
      });
      await go(["build", "-trimpath", "-ldflags", "-s -w", "-o", join(ctx.binDir, "otelcol"), "."], {
        cwd: dist, subject: builder, step: "building otelcol", log: ctx.log,
      });
    },
  };
}

/**
 * The checkers of the versions table, stamped with their release the way their own release builds are (actionlint
 * and kube-score print it in `--version`).
 */
function checkerRecipes(): Recipe[] {
  const { actionlint, kubeScore } = checkers;
  const rel = (p: Peer) => p.version.replace(/^v/, "");
  return [
    toolCommand("actionlint", rel(actionlint), actionlint, `${actionlint.module}/cmd/actionlint`, "actionlint", [
      `-X ${actionlint.module}.version=${rel(actionlint)}`,
    ]),
    toolCommand("kube-score", rel(kubeScore), kubeScore, `${kubeScore.module}/cmd/kube-score`, "kube-score", [
      `-X main.version=${rel(kubeScore)}`,
      `-X main.commit=${kubeScore.version}`,
    ]),
  ];
}

/** The peers `npm test` runs, in build order: the quick ones first, so a first run is useful early. */
export function recipes(): Recipe[] {
  const collectorRelease = release("collector");
  const contrib = "github.com/open-telemetry/opentelemetry-collector-contrib";
  const jaeger = versions.jaeger.peer;
  return [
    prometheusProject("alertmanager", ["amtool", "alertmanager"]),
    prometheusProject("prometheus", ["promtool", "prometheus"]),
    otelcol(),
    toolCommand("telemetrygen", collectorRelease, { module: `${contrib}/cmd/telemetrygen`, version: `v${collectorRelease}` }, `${contrib}/cmd/telemetrygen`, "telemetrygen"),
    toolCommand("jaeger", release("jaeger"), jaeger, `${jaeger.module}/cmd/jaeger`, "jaeger", [
      `-X ${jaeger.module}/internal/version.latestVersion=v${release("jaeger")}`,
      `-X ${jaeger.module}/internal/version.commitSHA=${jaeger.version}`,
    ]),
    ...checkerRecipes(),
  ];
}

export function resetDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
}
