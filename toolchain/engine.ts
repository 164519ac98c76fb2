/**
 * The peers of the engine end-to-end suite: a Kubernetes control plane (etcd, kube-apiserver, controller-manager,
 * scheduler), kwok for nodes, the Pulumi CLI and the Kubernetes provider, all from the Go module proxy.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { enginePeers, type Peer } from "../config/versions";
import { go, type Subject } from "./go";
import { type Recipe, copyModule, downloadModule, toolCommand, wrapperBuild } from "./peers";

/**
 * kube-apiserver, kube-controller-manager and kube-scheduler of one release. k8s.io/kubernetes replaces its staging
 * modules with folders of its repository; the wrapper replaces each with the published `v0.<minor>.<patch>` instead.
 * The version stamp matters: without it `/version` says v0.0.0 and version-checking clients misread the server.
 */
function kubernetes(): Recipe {
  const k = enginePeers.kubernetes;
  const [major, minor, patch] = k.version.replace(/^v/, "").split(".");
  const stamp = (pkg: string) => [
    `-X ${pkg}.gitVersion=${k.version}`, `-X ${pkg}.gitMajor=${major}`, `-X ${pkg}.gitMinor=${minor}`,
    `-X ${pkg}.gitCommit=0000000000000000000000000000000000000000`, `-X ${pkg}.gitTreeState=clean`,
    `-X ${pkg}.buildDate=1970-01-01T00:00:00Z`,
  ];
  return wrapperBuild({
    name: "kubernetes",
    release: k.version.replace(/^v/, ""),
    subject: k,
    requires: [k],
    commands: ["kube-apiserver", "kube-controller-manager", "kube-scheduler"].map((c) => ({ pkg: `${k.module}/cmd/${c}`, binary: c })),
    ldflags: [...stamp("k8s.io/component-base/version"), ...stamp("k8s.io/client-go/pkg/version")],
    async replaces(ctx) {
      const { dir } = await downloadModule(k, ctx);
      const staging = [...readFileSync(join(dir, "go.mod"), "utf8").matchAll(/^\s*(k8s\.io\/[\w.-]+)\s+=>\s+\.\/staging\//gm)].map((m) => m[1]);
      if (staging.length === 0) throw new Error(`${k.module}@${k.version}: its go.mod replaces no staging module; the wrapper does not fit this release`);
      return staging.map((m) => [m, `${m} v0.${minor}.${patch}`]);
    },
  });
}

/** The Pulumi CLI of the SDK we pin; pkg replaces sdk with a folder, and its clipboard dependency with a fork. */
function pulumiCli(): Recipe {
  const version = `v${pinnedPulumiSdk()}`;
  const pkg: Subject = { module: "github.com/pulumi/pulumi/pkg/v3", version };
  return wrapperBuild({
    name: "pulumi",
    release: pinnedPulumiSdk(),
    subject: pkg,
    requires: [pkg, { module: "github.com/pulumi/pulumi/sdk/v3", version }],
    commands: [{ pkg: `${pkg.module}/cmd/pulumi`, binary: "pulumi" }],
    ldflags: [`-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=${version}`],
    replaces: async () => [["github.com/atotto/clipboard", "github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e"]],
  });
}

/** The exact @pulumi/pulumi version package.json pins: the CLI is built at the same release. */
export function pinnedPulumiSdk(): string {
  const manifest = JSON.parse(readFileSync(join(__dirname, "..", "package.json"), "utf8")) as { dependencies: Record<string, string> };
  const pin = manifest.dependencies["@pulumi/pulumi"];
  if (!/^\d+\.\d+\.\d+$/.test(pin ?? "")) throw new Error(`package.json dependencies["@pulumi/pulumi"]: got ${JSON.stringify(pin)}; allowed: an exact version such as 3.248.0`);
  return pin;
}

/**
 * pulumi-resource-kubernetes from the served provider/v4 module. Its main.go embeds a schema and a mapping that
 * `go generate` writes from the module's own schema.json and terraform-mapping.json, and its go.mod replaces sdk/v4
 * with a folder; so the module is copied out, the replace dropped (it already requires the published sdk/v4), the
 * module's own generator run, and the command built. The plugin reports the version its schema is stamped with.
 */
function kubernetesProvider(): Recipe {
  const p = enginePeers.kubernetesProvider;
  const reported = providerPluginVersion();
  return {
    name: "pulumi-resource-kubernetes",
    release: reported,
    subject: p,
    binaries: ["pulumi-resource-kubernetes"],
    inputs: { p, reported },
    async build(ctx) {
      const { src } = await copyModule(p, ctx);
      const step = { subject: p, log: ctx.log };
      await go(["mod", "edit", "-dropreplace=github.com/pulumi/pulumi-kubernetes/sdk/v4"], { ...step, cwd: src, step: "dropping the sdk folder replace" });
      // Its go.sum has no sums for the published sdk/v4 it used to replace with a folder.
      await go(["mod", "tidy"], { ...step, cwd: src, step: "resolving the published sdk/v4" });
      const cmd = join(src, "cmd", "pulumi-resource-kubernetes");
      await go(["run", "./generate.go"], { ...step, cwd: cmd, step: "generating the embedded schema", env: { VERSION: reported } });
      await go(["build", "-trimpath", "-ldflags", `-s -w -X ${p.module}/pkg/version.Version=${reported}`, "-o", join(ctx.binDir, "pulumi-resource-kubernetes"), "."], {
        ...step, cwd: cmd, step: "building pulumi-resource-kubernetes",
      });
    },
  };
}

/** The version the built provider reports: the npm SDK's, so the engine pairs them (the code is older; see versions.ts). */
export function providerPluginVersion(): string {
  const manifest = JSON.parse(readFileSync(join(__dirname, "..", "package.json"), "utf8")) as { dependencies: Record<string, string> };
  return manifest.dependencies["@pulumi/kubernetes"];
}


export function enginePeerRecipes(): Recipe[] {
  const version = (p: Peer) => p.version.replace(/^v/, "");
  return [
    toolCommand("etcd", version(enginePeers.etcd), enginePeers.etcd, enginePeers.etcd.module, "etcd"),
    toolCommand("kwok", version(enginePeers.kwok), enginePeers.kwok, `${enginePeers.kwok.module}/cmd/kwok`, "kwok"),
    kubernetes(),
    pulumiCli(),
    kubernetesProvider(),
  ];
}
