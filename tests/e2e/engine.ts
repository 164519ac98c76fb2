/**
 * The real Pulumi engine, isolated in a temp dir: the toolchain's CLI (the release of the @pulumi/pulumi we pin) and
 * `pulumi-resource-kubernetes`, a file backend, a passphrase secrets provider, no update check and no plugin download.
 *
 * The program runs as an Automation API inline program (`runProgram`, what index.ts exports): the Node SDK serves the
 * language runtime itself, so no nodejs language host is needed (it is not buildable from served modules). Two
 * executables on PATH stand where a full install has its own plugins:
 * - `pulumi-analyzer-policy-nodejs`, which the CLI starts for a nodejs policy pack when no language host is
 *   installed; it runs `@pulumi/pulumi/cmd/run-policy-pack`, the same code the language host runs for a pack;
 * - `pulumi-resource-random`, the random stand-in (stand-ins/random.ts): the one plugin that is not the real one.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { LocalWorkspace, PulumiCommand, type Stack } from "@pulumi/pulumi/automation";
import { runProgram } from "../../components/stack";
import { pagerdutyTeams, validateStackConfig } from "../../config";
import { readStackFile } from "../../scripts/synth/stack-files";
import { toolchainBinary, toolchainDir } from "../../toolchain/paths";
import { tempDir } from "../../toolchain/run";

const projectDir = resolve(__dirname, "..", "..");
export const policyPackDir = join(projectDir, "policies");

export interface EngineStack {
  stack: Stack;
  /** The stack's own copy of the project files (Pulumi.yaml, Pulumi.<stack>.yaml): config edits land here. */
  workDir: string;
  remove(): Promise<void>;
}

function launcher(path: string, script: string[], env: Record<string, string> = {}): void {
  const quoted = (a: string) => `'${a}'`;
  const assignments = Object.entries(env).map(([k, v]) => `${k}=${quoted(v)} `).join("");
  writeFileSync(path, `#!/bin/sh\n${assignments}exec ${script.map(quoted).join(" ")} "$@"\n`, { mode: 0o755 });
}

function packageVersion(name: string): string {
  return (JSON.parse(readFileSync(join(projectDir, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
}

/**
 * A stack of the project on a fresh file backend, whose program is `runProgram` in this process and whose Kubernetes
 * provider talks to the API server of `kubeconfig`. The committed `Pulumi.<stackName>.yaml` is copied, never edited.
 * With `program`, the stack runs that program instead, with no stack config (the benchmark's floor).
 */
export async function engineStack(stackName: string, kubeconfig: string, program?: () => Promise<Record<string, unknown>>): Promise<EngineStack> {
  toolchainBinary("pulumi");
  toolchainBinary("pulumi-resource-kubernetes");
  const tmp = await tempDir("e2e-pulumi-");
  const [home, backend, bin, workDir] = ["home", "backend", "bin", "work"].map((d) => join(tmp.dir, d));
  for (const d of [home, backend, bin, workDir]) mkdirSync(d);
  for (const f of ["Pulumi.yaml", ...(program ? [] : [`Pulumi.${stackName}.yaml`])]) copyFileSync(join(projectDir, f), join(workDir, f));
  launcher(join(bin, "pulumi-analyzer-policy-nodejs"), [process.execPath, join(projectDir, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack")]);
  launcher(join(bin, "pulumi-resource-random"), [process.execPath, "-r", join(projectDir, "node_modules", "ts-node", "register", "transpile-only.js"), join(__dirname, "stand-ins", "random.ts")], {
    // The plugin runs in the CLI's working directory; ts-node must compile with the project's settings.
    TS_NODE_PROJECT: join(projectDir, "tsconfig.json"),
  });
  const pulumiCommand = await PulumiCommand.get({ root: toolchainDir() });
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName, projectName: "sigma-observability", program: program ?? (async () => runProgram()) },
    {
      workDir,
      pulumiHome: home,
      pulumiCommand,
      envVars: {
        PATH: [bin, join(toolchainDir(), "bin"), process.env.PATH ?? ""].join(":"),
        PULUMI_BACKEND_URL: `file://${backend}`,
        PULUMI_CONFIG_PASSPHRASE: "e2e-passphrase",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        KUBECONFIG: kubeconfig,
        // The stand-in reports the version the SDK asks for, as the real plugin of that release would.
        RANDOM_STAND_IN_VERSION: packageVersion("@pulumi/random"),
      },
    },
  );
  if (!program) await setPlaceholderSecrets(stack, workDir, stackName);
  return { stack, workDir, remove: tmp.remove };
}

/**
 * The credentials a user sets with `pulumi config set --secret` (encrypted by the passphrase provider): placeholders of
 * the shapes the config validator allows, one PagerDuty key per paging team of the stack's config.
 */
async function setPlaceholderSecrets(stack: Stack, workDir: string, stackName: string): Promise<void> {
  const config = validateStackConfig(readStackFile(workDir, stackName).values);
  const secrets: Record<string, { value: string; secret: true }> = {
    slackWebhookUrl: { value: "https://hooks.slack.com/services/T0000/B0000/e2e", secret: true },
  };
  for (const team of pagerdutyTeams(config)) secrets[`pagerdutyRoutingKeys.${team}`] = { value: "e2e".padEnd(32, "0"), secret: true };
  await stack.setAllConfig(secrets, true);
}
