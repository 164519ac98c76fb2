/**
 * The GitHub Actions workflows users copy (`.github/`). actionlint 1.7.12, built by the toolchain, finds what GitHub
 * would reject or misrun; the checker below holds what actionlint does not: every action pinned, read-only tokens
 * unless a job needs one write, secrets only from the secret store, OIDC instead of AWS keys, a policy-pack preview
 * of every deployed stack on pull requests, and releases per stack in order (staging, then prod in its environment).
 * Each rule is shown to fail on a copy of the real workflows with one breakage.
 */
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as YAML from "yaml";
import { outputLines, stackTarget } from "../.github/actions/stack-access/target";
import { readStackFile, stackNames } from "../scripts/synth/stack-files";
import { projectDir, toolchainBinary } from "../toolchain/paths";
import { tempDir } from "../toolchain/run";

type Node = Record<string, any>;

interface Source {
  /** Path relative to the root, e.g. `.github/workflows/release.yml`. */
  file: string;
  text: string;
  doc: Node;
}

interface GithubDir {
  workflows: Source[];
  /** Local composite actions by the `uses:` that names them (`./.github/actions/<name>`). */
  actions: Map<string, Source>;
}

interface Step {
  step: Node;
  where: string;
}

/** A stack the workflows deploy, and whether it is production (its `environment` setting). */
export interface DeployedStack {
  name: string;
  prod: boolean;
}

export function readGithubDir(root: string): GithubDir {
  const read = (file: string): Source => {
    const text = readFileSync(join(root, file), "utf8");
    return { file, text, doc: (YAML.parse(text) ?? {}) as Node };
  };
  const list = (dir: string) => (existsSync(join(root, dir)) ? readdirSync(join(root, dir)).sort() : []);
  const workflows = list(".github/workflows").filter((f) => /\.ya?ml$/.test(f)).map((f) => read(`.github/workflows/${f}`));
  const actions = new Map<string, Source>();
  for (const name of list(".github/actions")) {
    const file = ["action.yml", "action.yaml"].map((f) => `.github/actions/${name}/${f}`).find((f) => existsSync(join(root, f)));
    if (file) actions.set(`./.github/actions/${name}`, read(file));
  }
  return { workflows, actions };
}

const jobsOf = (wf: Source): [string, Node][] => Object.entries((wf.doc.jobs ?? {}) as Record<string, Node>);

/** A job's steps with local composite actions and local reusable workflows expanded in place. */
function jobSteps(gh: GithubDir, job: Node, where: string): Step[] {
  if (typeof job.uses === "string") {
    const called = gh.workflows.find((w) => `./${w.file}` === job.uses);
    return called ? jobsOf(called).flatMap(([id, j]) => jobSteps(gh, j, `${called.file} job ${id}`)) : [];
  }
  const expand = (steps: Node[], at: string): Step[] =>
    steps.flatMap((step, i) => {
      const local = typeof step.uses === "string" ? gh.actions.get(step.uses.replace(/\/$/, "")) : undefined;
      const here = { step, where: `${at} step ${i + 1}` };
      return local ? [here, ...expand(local.doc.runs?.steps ?? [], local.file)] : [here];
    });
  return expand(job.steps ?? [], where);
}

const action = (s: Step) => (typeof s.step.uses === "string" ? s.step.uses.split("@")[0] : "");
const runLines = (s: Step): string[] => (typeof s.step.run === "string" ? s.step.run.split("\n").map((l: string) => l.trim()) : []);
const isOidcLogin = (s: Step) => action(s) === "aws-actions/configure-aws-credentials";
const commentsOnPr = (s: Step) => action(s) === "pulumi/actions" && String(s.step.with?.["comment-on-pr"]) === "true";

/** Every `uses:` of a workflow (jobs and steps) or of a composite action. */
function usesOf(src: Source): { uses: string; where: string }[] {
  const steps = (list: Node[] | undefined, at: string) =>
    (list ?? []).filter((s) => typeof s.uses === "string").map((s, i) => ({ uses: s.uses as string, where: `${at} step ${i + 1}` }));
  if (src.doc.runs) return steps(src.doc.runs.steps, src.file);
  return jobsOf(src).flatMap(([id, job]) => [
    ...(typeof job.uses === "string" ? [{ uses: job.uses as string, where: `${src.file} job ${id}` }] : []),
    ...steps(job.steps, `${src.file} job ${id}`),
  ]);
}

const sha = /^[0-9a-f]{40}$/;
const exactVersion = /^v?\d+\.\d+\.\d+$/;

/** Every action pinned: a full commit SHA with a `# vX.Y.Z` comment, or an exact version tag; one version per action. */
function pinFindings(gh: GithubDir): string[] {
  const findings: string[] = [];
  const refs = new Map<string, Set<string>>();
  for (const src of [...gh.workflows, ...gh.actions.values()]) {
    for (const { uses, where } of usesOf(src)) {
      if (uses.startsWith("./")) continue;
      if (uses.startsWith("docker://")) {
        if (!/@sha256:[0-9a-f]{64}$/.test(uses)) findings.push(`${where}: ${uses} is not pinned by digest`);
        continue;
      }
      const at = uses.lastIndexOf("@");
      const [name, ref] = at < 0 ? [uses, ""] : [uses.slice(0, at), uses.slice(at + 1)];
      refs.set(name, (refs.get(name) ?? new Set()).add(ref));
      if (sha.test(ref)) {
        const lines = src.text.split("\n").filter((l) => l.replace(/["']/g, "").includes(`uses: ${uses}`));
        if (lines.some((l) => !/#\s*v?\d+\.\d+\.\d+\b/.test(l))) findings.push(`${where}: ${uses} is pinned by SHA without a "# vX.Y.Z" comment naming its version`);
      } else if (!exactVersion.test(ref)) {
        findings.push(`${where}: ${uses} is not pinned: use a full commit SHA with a "# vX.Y.Z" comment or an exact version tag (a branch or a major tag moves)`);
      }
    }
  }
  for (const [name, set] of refs) if (set.size > 1) findings.push(`${name} is pinned to ${set.size} versions (${[...set].join(", ")}): pin one everywhere`);
  return findings;
}

/** Read-only at the top; a job writes only what it needs: id-token for an OIDC login, pull-requests for a PR comment. */
function permissionFindings(gh: GithubDir): string[] {
  const findings: string[] = [];
  const readOnly = (p: unknown) =>
    p === "read-all" || (typeof p === "object" && p !== null && Object.values(p).every((level) => level === "read" || level === "none"));
  for (const wf of gh.workflows) {
    const top = wf.doc.permissions;
    if (top === undefined) findings.push(`${wf.file}: no top-level permissions: the token gets the repository default (possibly write-all); set contents: read`);
    else if (!readOnly(top)) findings.push(`${wf.file}: top-level permissions ${JSON.stringify(top)} grant a write; keep the top read-only and grant writes per job`);
    for (const [id, job] of jobsOf(wf)) {
      const where = `${wf.file} job ${id}`;
      const steps = jobSteps(gh, job, where);
      const need: Record<string, boolean> = { "id-token": steps.some(isOidcLogin), "pull-requests": steps.some(commentsOnPr) };
      const perms = job.permissions;
      if (typeof perms === "string" && perms !== "read-all") findings.push(`${where}: permissions: ${perms}; name each scope instead`);
      for (const [scope, level] of Object.entries(typeof perms === "object" && perms ? perms : {})) {
        if (level === "write" && !need[scope]) findings.push(`${where}: ${scope}: write is not needed (writes allowed: id-token for an OIDC login, pull-requests for a PR comment)`);
      }
      if (typeof job.uses === "string") continue;
      for (const [scope, needed] of Object.entries(need)) {
        if (needed && perms?.[scope] !== "write") findings.push(`${where}: needs ${scope}: write in its permissions (it ${scope === "id-token" ? "logs in to AWS through OIDC" : "comments on the pull request"})`);
      }
    }
  }
  return findings;
}

const credentialShapes: [RegExp, string][] = [
  [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/, "an AWS access key id"],
  [/aws_secret_access_key\s*[=:]\s*\S/i, "an AWS secret access key"],
  [/\bpul-[0-9a-f]{40}\b/, "a Pulumi access token"],
  [/\bgh[opsur]_[A-Za-z0-9]{36,}\b/, "a GitHub token"],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, "a private key"],
  [/arn:aws[a-z-]*:iam::\d{12}:role\//, "an IAM role ARN"],
];
const secretKey = /token|secret|password|passphrase|private[-_]?key|role-to-assume/i;
const fromStore = /^\$\{\{[^}]*\b(secrets\.\w+|inputs\.[\w-]+|github\.token)\b[^}]*\}\}$/;
const longLivedKeys = new Set(["aws-access-key-id", "aws-secret-access-key", "aws-session-token"]);

/** Secrets come from the secret store by name; nothing credential-shaped is written in a file; no AWS keys at all. */
function secretFindings(gh: GithubDir): string[] {
  const findings: string[] = [];
  for (const src of [...gh.workflows, ...gh.actions.values()]) {
    for (const [shape, what] of credentialShapes) if (shape.test(src.text)) findings.push(`${src.file}: ${what} is written inline; keep it in the repository's or an environment's secrets`);
    if (/secrets\s*\[|toJSON\(\s*secrets\s*\)/.test(src.text)) findings.push(`${src.file}: reads the secrets context as a whole, which sends every secret to the runner; name each secret`);
    const walk = (node: unknown, path: string[]): void => {
      if (Array.isArray(node)) node.forEach((n, i) => walk(n, [...path, String(i)]));
      if (typeof node !== "object" || node === null) return;
      const o = node as Node;
      if (typeof o.uses === "string" && o.uses.startsWith("aws-actions/configure-aws-credentials@") && !o.with?.["role-to-assume"]) {
        findings.push(`${src.file} ${path.join(".")}: configure-aws-credentials without role-to-assume; log in through OIDC`);
      }
      for (const [key, value] of Object.entries(o)) {
        if ((key === "env" || key === "with") && typeof value === "object" && value) {
          for (const [name, v] of Object.entries(value as Node)) {
            const where = `${src.file} ${[...path, key, name].join(".")}`;
            if (longLivedKeys.has(name)) findings.push(`${where}: long-lived AWS keys; assume a role through OIDC (role-to-assume) instead`);
            else if (secretKey.test(name) && !(typeof v === "string" && fromStore.test(v.trim()))) {
              findings.push(`${where} is not taken from the secret store: ${JSON.stringify(v)} (want \${{ secrets.NAME }})`);
            }
          }
        }
        walk(value, [...path, key]);
      }
    };
    walk(src.doc, []);
  }
  return findings;
}

const triggers = (on: unknown): Node => (typeof on === "string" ? { [on]: {} } : Array.isArray(on) ? Object.fromEntries(on.map((e) => [e, {}])) : ((on ?? {}) as Node));
const environmentName = (env: unknown) => (typeof env === "object" && env ? (env as Node).name : env);

/** Every needed job, transitively. */
function ancestors(wf: Source, id: string, seen = new Set<string>()): Set<string> {
  const needs = wf.doc.jobs?.[id]?.needs;
  for (const n of (Array.isArray(needs) ? needs : needs ? [needs] : []) as string[]) if (!seen.has(n)) ancestors(wf, n, seen.add(n));
  return seen;
}

/** On main: each deployed stack released in its own environment and concurrency group; prod after every other stack. */
function releaseFindings(gh: GithubDir, stacks: DeployedStack[]): string[] {
  const findings: string[] = [];
  const jobs = gh.workflows
    .filter((wf) => [triggers(wf.doc.on).push?.branches ?? []].flat().includes("main"))
    .flatMap((wf) => jobsOf(wf).map(([id, job]) => ({ wf, id, job, where: `${wf.file} job ${id}` })))
    .flatMap((j) =>
      jobSteps(gh, j.job, j.where)
        .flatMap(runLines)
        .map((l) => /^npm run release -- --stack (\S+)(.*)$/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => ({ ...j, stack: m[1], args: m[2] })),
    );
  for (const s of stacks) if (!jobs.some((j) => j.stack === s.name)) findings.push(`no workflow on pushes to main releases stack ${s.name} (npm run release -- --stack ${s.name} --yes)`);
  for (const j of jobs) {
    if (!/(^|\s)--yes(\s|$)/.test(j.args)) findings.push(`${j.where}: the release of ${j.stack} lacks --yes, so it only previews`);
    if (environmentName(j.job.environment) !== j.stack) {
      findings.push(`${j.where}: releases ${j.stack} outside the GitHub environment "${j.stack}" (its secrets and protection rules: required reviewers for prod)`);
    }
    const c = j.job.concurrency;
    const group = typeof c === "string" ? c : c?.group;
    if (typeof group !== "string" || !group.includes(j.stack) || c?.["cancel-in-progress"] === true) {
      findings.push(`${j.where}: no concurrency group of its own for ${j.stack} (two releases of one stack could overlap, or one could be cancelled mid-update)`);
    }
  }
  for (const p of jobs.filter((j) => stacks.some((s) => s.prod && s.name === j.stack))) {
    for (const other of jobs.filter((j) => stacks.some((s) => !s.prod && s.name === j.stack))) {
      if (other.wf !== p.wf || !ancestors(p.wf, p.id).has(other.id)) findings.push(`${p.where}: releases ${p.stack} without needing ${other.id} (the release of ${other.stack}), which must go first`);
    }
  }
  return findings;
}

/** On pull requests: npm ci, npm test (after Go is set up), the render, and a policy-pack preview commented per stack. */
function pullRequestFindings(gh: GithubDir, stacks: DeployedStack[]): string[] {
  const findings: string[] = [];
  const jobs = gh.workflows
    .filter((wf) => "pull_request" in triggers(wf.doc.on))
    .flatMap((wf) => jobsOf(wf).map(([id, job]) => ({ job, steps: jobSteps(gh, job, `${wf.file} job ${id}`) })));
  const runs = (steps: Step[], cmd: string) => steps.findIndex((s) => runLines(s).includes(cmd));
  for (const cmd of ["npm ci", "npm test", "npm run render"]) if (!jobs.some((j) => runs(j.steps, cmd) >= 0)) findings.push(`pull requests do not run ${cmd}`);
  for (const { steps } of jobs.filter((j) => runs(j.steps, "npm test") >= 0)) {
    const go = steps.findIndex((s) => action(s) === "actions/setup-go");
    if (go < 0 || go > runs(steps, "npm test")) findings.push(`${steps[runs(steps, "npm test")].where}: npm test builds the toolchain, which needs Go set up first (actions/setup-go)`);
  }
  const previewed = new Set<string>();
  for (const { job, steps } of jobs) {
    for (const s of steps.filter((x) => action(x) === "pulumi/actions" && x.step.with?.command === "preview")) {
      if (String(s.step.with.policyPacks ?? "").split(/[\n,]/).map((p: string) => p.trim()).includes("policies") && commentsOnPr(s)) {
        const name = String(s.step.with["stack-name"] ?? "");
        const m = /^\$\{\{\s*matrix\.([\w-]+)\s*\}\}$/.exec(name);
        const matrix = job.strategy?.matrix ?? {};
        for (const v of m ? [...(matrix[m[1]] ?? []), ...(matrix.include ?? []).map((i: Node) => i[m[1]])] : [name]) previewed.add(String(v));
      }
    }
  }
  for (const s of stacks) if (!previewed.has(s.name)) findings.push(`pull requests do not preview stack ${s.name} with policyPacks: policies and comment-on-pr: true`);
  return findings;
}

export function workflowFindings(root: string, stacks: DeployedStack[]): string[] {
  const gh = readGithubDir(root);
  if (gh.workflows.length === 0) return [`${root}: no workflow in .github/workflows`];
  return [...pinFindings(gh), ...permissionFindings(gh), ...secretFindings(gh), ...releaseFindings(gh, stacks), ...pullRequestFindings(gh, stacks)];
}

/** The stacks the workflows deploy: every committed stack whose cluster belongs to an AWS account (not `local`). */
function deployedStacks(): DeployedStack[] {
  return stackNames(projectDir)
    .filter((name) => stackTarget(name).account)
    .map((name) => ({ name, prod: readStackFile(projectDir, name).values.environment === "prod" }));
}

/** actionlint over a folder's workflows; shellcheck and pyflakes are left out so the verdict is the same on every machine. */
function actionlint(root: string): Promise<{ code: number; output: string }> {
  const files = readdirSync(join(root, ".github/workflows")).filter((f) => /\.ya?ml$/.test(f)).map((f) => `.github/workflows/${f}`);
  return new Promise((resolve, reject) => {
    execFile(toolchainBinary("actionlint"), ["-no-color", "-oneline", "-shellcheck=", "-pyflakes=", ...files], { cwd: root, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number") reject(new Error(`actionlint did not complete: ${error.message}`));
      else resolve({ code: error ? (error.code as number) : 0, output: stdout + stderr });
    });
  });
}

/** A copy of the committed `.github` in a temp dir with one edit; the edit must apply. */
async function brokenCopy(file: string, from: string | RegExp, to: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const t = await tempDir("ci-workflows-");
  cpSync(join(projectDir, ".github"), join(t.dir, ".github"), { recursive: true });
  // actionlint resolves local actions only inside a repository, which it recognises by `.git`.
  mkdirSync(join(t.dir, ".git"));
  const path = join(t.dir, file);
  const text = readFileSync(path, "utf8");
  const edited = text.replace(from, to);
  assert.notEqual(edited, text, `the breakage ${String(from)} does not apply to ${file}`);
  writeFileSync(path, edited);
  return t;
}

describe("CI workflows users copy (.github/)", function () {
  const stacks = deployedStacks();

  it("deploy a prod stack and at least one stack released before it", () => {
    assert.ok(stacks.some((s) => s.prod) && stacks.some((s) => !s.prod), `deployed stacks: ${JSON.stringify(stacks)}`);
  });

  it("pass actionlint 1.7.12", async () => {
    const { code, output } = await actionlint(projectDir);
    assert.equal(code, 0, `actionlint found problems:\n${output}`);
  });

  it("actionlint fails on a broken workflow", async () => {
    const t = await brokenCopy(".github/workflows/release.yml", "needs: staging", "needs: stagin");
    try {
      const release = join(t.dir, ".github/workflows/release.yml");
      writeFileSync(release, readFileSync(release, "utf8").replace("stack: prod", "stak: prod"));
      const { code, output } = await actionlint(t.dir);
      assert.equal(code, 1, output);
      assert.match(output, /release\.yml:\d+:\d+: job "prod" needs job "stagin" which does not exist/);
      assert.match(output, /release\.yml:\d+:\d+: input "stak" is not defined in action "Stack access"/);
    } finally {
      await t.remove();
    }
  });

  it("pin every action, keep tokens read-only, take secrets from the store, preview and release every stack in order", () => {
    assert.deepEqual(workflowFindings(projectDir, stacks), []);
  });

  const checkout = /actions\/checkout@[0-9a-f]{40} # v[\d.]+/;
  const breakages: [string, string, string | RegExp, string, RegExp][] = [
    ["a major tag", ".github/workflows/checks.yml", checkout, "actions/checkout@v7", /actions\/checkout@v7 is not pinned/],
    ["a branch", ".github/actions/project/action.yml", /actions\/setup-node@\S+ # \S+/, "actions/setup-node@main", /actions\/setup-node@main is not pinned/],
    ["a SHA without its version", ".github/workflows/checks.yml", /(actions\/checkout@[0-9a-f]{40}) # v[\d.]+/, "$1", /checks\.yml job test step 1: actions\/checkout@[0-9a-f]{40} is pinned by SHA without a "# vX\.Y\.Z" comment/],
    ["two versions of one action", ".github/workflows/checks.yml", checkout, "actions/checkout@v7.0.0", /actions\/checkout is pinned to 2 versions/],
    ["a writable top-level token", ".github/workflows/release.yml", /^permissions:\n  contents: read/m, "permissions:\n  contents: write", /release\.yml: top-level permissions .* grant a write/],
    ["a write no step needs", ".github/workflows/release.yml", /id-token: write\n    concurrency:\n      group: release-prod/, "id-token: write\n      pull-requests: write\n    concurrency:\n      group: release-prod", /job prod: pull-requests: write is not needed/],
    ["an OIDC login without id-token", ".github/workflows/pull-request.yml", "      id-token: write\n", "", /job preview: needs id-token: write/],
    ["an inline token", ".github/workflows/release.yml", "${{ secrets.PULUMI_ACCESS_TOKEN }}", `pul-${"0123456789".repeat(4)}`, /a Pulumi access token is written inline/],
    ["an inline role ARN", ".github/workflows/release.yml", "role-to-assume: ${{ secrets.AWS_ROLE_ARN }}", "role-to-assume: arn:aws:iam::123456789012:role/release", /an IAM role ARN is written inline/],
    ["long-lived AWS keys", ".github/actions/stack-access/action.yml", "role-to-assume: ${{ inputs.role-to-assume }}", "aws-access-key-id: ${{ secrets.AWS_KEY }}", /long-lived AWS keys/],
    ["every secret sent to the runner", ".github/workflows/pull-request.yml", "${{ secrets.PULUMI_ACCESS_TOKEN }}", "${{ secrets[format('PULUMI_{0}', 'ACCESS_TOKEN')] }}", /reads the secrets context as a whole/],
    ["prod before staging", ".github/workflows/release.yml", "needs: staging", "needs: checks", /job prod: releases prod without needing staging/],
    ["prod outside its environment", ".github/workflows/release.yml", "environment: prod", "environment: production", /job prod: releases prod outside the GitHub environment "prod"/],
    ["overlapping releases", ".github/workflows/release.yml", "group: release-prod", "group: release-${{ github.sha }}", /job prod: no concurrency group of its own for prod/],
    ["a dry-run release", ".github/workflows/release.yml", "run: npm run release -- --stack staging --yes", "run: npm run release -- --stack staging", /the release of staging lacks --yes/],
    ["a preview without the pack", ".github/workflows/pull-request.yml", /\n\s+policyPacks: policies/, "", /do not preview stack prod with policyPacks: policies/],
    ["no render on pull requests", ".github/workflows/checks.yml", /\n\s+- name: npm run render\n\s+run: npm run render/, "", /pull requests do not run npm run render/],
    ["npm test without Go", ".github/workflows/checks.yml", /\n\s+- uses: actions\/setup-go@[^\n]*\n(\s+with:\n(\s{10}.*\n)+)/, "\n", /npm test builds the toolchain, which needs Go set up first/],
  ];
  for (const [name, file, from, to, expected] of breakages) {
    it(`the checker fails on ${name}`, async () => {
      const t = await brokenCopy(file, from, to);
      try {
        const findings = workflowFindings(t.dir, stacks);
        assert.ok(findings.some((f) => expected.test(f)), `expected a finding matching ${expected}, got:\n${findings.join("\n") || "none"}`);
      } finally {
        await t.remove();
      }
    });
  }

  it("read each stack's region, cluster and account from its stack file", () => {
    for (const { name } of stacks) {
      const cluster = readStackFile(projectDir, name).values.cluster as { name: string; region: string; oidcProviderArn: string };
      const account = cluster.oidcProviderArn.split(":")[4];
      assert.equal(outputLines(stackTarget(name)), `region=${cluster.region}\ncluster=${cluster.name}\naccount=${account}\n`);
    }
  });

  it("refuse a stack file whose OIDC provider names no account", async () => {
    const t = await tempDir("ci-target-");
    try {
      cpSync(join(projectDir, "Pulumi.yaml"), join(t.dir, "Pulumi.yaml"));
      const prod = readFileSync(join(projectDir, "Pulumi.prod.yaml"), "utf8");
      writeFileSync(join(t.dir, "Pulumi.x.yaml"), prod.replace(/oidcProviderArn: arn:aws:iam::\d{12}:/, "oidcProviderArn: arn:aws:iam::12345:"));
      assert.throws(() => stackTarget("x", t.dir), /Pulumi\.x\.yaml: cluster\.oidcProviderArn "arn:aws:iam::12345:oidc-provider\/.*" names no 12-digit account/);
    } finally {
      await t.remove();
    }
  });
});
