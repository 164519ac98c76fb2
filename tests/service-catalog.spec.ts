import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import { serviceKeys } from "../catalog";
import { percentage, type TailPolicy } from "../components/tracing-tier/sampling";
import type { AlertmanagerConfig, RuleFile } from "../rules";
import { parse } from "yaml";
import { amtoolRoutesTest } from "./support/prom-tools";
import { syntheticService as entry } from "./support/synthetic-service";

/** What `tests/support/fifth-service.ts` prints: a stack rendered with the synthetic entry added to the catalog. */
interface FifthServiceRender {
  rules: Record<string, RuleFile>;
  tailSampling: TailPolicy[];
  scrapeConfigs: { job_name: string; kubernetes_sd_configs?: { selectors?: { label?: string }[] }[] }[];
  alertmanager: string;
  dashboards: Record<string, { uid: string; title: string; links: { url: string }[]; templating: { list: { name: string; query: string }[] }; panels: any[] }>;
  slos: { slos: { id: string; team: string }[] };
}

const root = path.resolve(__dirname, "..");
const { key, owner } = entry;

/** Every `expr` of a dashboard's panels, rows included. */
function exprs(panels: any[]): string[] {
  return panels.flatMap((p) => [...(p.targets ?? []).map((t: { expr: string }) => t.expr), ...exprs(p.panels ?? [])]);
}

describe("service catalog: one new entry gives a service everything", function () {
  this.timeout(300_000);
  let out: FifthServiceRender;

  before(async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["-r", "ts-node/register/transpile-only", path.join("tests", "support", "fifth-service.ts"), "staging"],
      { cwd: root, maxBuffer: 256 * 2 ** 20 },
    );
    out = JSON.parse(stdout) as FifthServiceRender;
  });

  it("is a service the catalog does not already have", () => {
    assert.ok(!(serviceKeys as readonly string[]).includes(key), `${key} is a real catalog entry`);
  });

  it("gets its own SLO rule file: each of its SLOs' recordings and alerts, and its scrape-health alert", () => {
    assert.deepEqual(Object.keys(out.rules).sort(), [...serviceKeys, key].map((s) => `slo-${s}.yml`).concat("stack-health.yml").sort());
    const groups = out.rules[`slo-${key}.yml`].groups;
    assert.deepEqual(groups.map((g) => g.name), [
      ...entry.slos.flatMap((slo) => [`slo-${key}-${slo.name}-recordings`, `slo-${key}-${slo.name}-alerts`]),
      `service-${key}-health`,
    ]);
    const down = groups.at(-1)?.rules[0];
    assert.ok(down && "alert" in down && down.alert === "ComponentDown");
    assert.deepEqual([down.labels.service, down.labels.team, down.expr], [key, owner, `absent(up{job="${key}"} == 1)`]);
    const ids = out.slos.slos.filter((s) => s.id.startsWith(`${key}/`));
    assert.deepEqual(ids.map((s) => [s.id, s.team]), entry.slos.map((slo) => [`${key}/${slo.name}`, owner]));
  });

  it("is sampled at its own rates in the gateway's tail-sampling config, not the default", () => {
    const policy = (name: string) => out.tailSampling.find((p) => p.name === name);
    const subPolicies = (name: string): TailPolicy[] => {
      const p = policy(name);
      assert.ok(p?.type === "and", `no policy ${name}; policies: ${out.tailSampling.map((q) => q.name).join(", ")}`);
      return p.and.and_sub_policy;
    };
    const names = [...(entry.sampling.serviceNames ?? [key])];
    const serviceIs: TailPolicy = { name: `${key}-service`, type: "string_attribute", string_attribute: { key: "service.name", values: names } };
    assert.deepEqual(subPolicies(`${key}-baseline`), [
      serviceIs,
      { name: `${key}-rate`, type: "probabilistic", probabilistic: { sampling_percentage: percentage(entry.sampling.rate) } },
    ]);
    assert.deepEqual(subPolicies(`${key}-slow`), [
      serviceIs,
      { name: `${key}-latency`, type: "latency", latency: { threshold_ms: entry.sampling.slowThresholdMs } },
      { name: `${key}-slow-rate`, type: "probabilistic", probabilistic: { sampling_percentage: percentage(entry.sampling.slowRate) } },
    ]);
    const others = subPolicies("default-baseline")[0];
    assert.ok(others.type === "string_attribute" && others.string_attribute.invert_match, "the default policy excludes the listed services");
    for (const name of names) assert.ok(others.string_attribute.values.includes(name), `the default policy still matches ${name}`);
  });

  it("gets a Prometheus scrape job selecting its pods", () => {
    const jobs = out.scrapeConfigs.map((j) => j.job_name);
    assert.deepEqual(jobs.slice(0, serviceKeys.length + 1), [...serviceKeys, key]);
    const selector = out.scrapeConfigs.find((j) => j.job_name === key)?.kubernetes_sd_configs?.[0].selectors?.[0].label;
    assert.match(selector ?? "", new RegExp(`=${key}$`));
  });

  it("routes its alerts to its owner's receivers", async () => {
    const am = parse(out.alertmanager) as AlertmanagerConfig;
    const receiver = (name: string) => am.receivers.find((r) => r.name === name);
    assert.match(receiver(`${key}-pagerduty`)?.pagerduty_configs?.[0].routing_key_file ?? "", new RegExp(`/pagerduty-routing-key-${owner}$`));
    assert.equal(receiver(`${key}-slack`)?.slack_configs?.[0].channel, `#alerts-${owner}`);
    const cases: [Record<string, string>, string[]][] = [
      [{ severity: "critical" }, [`${key}-pagerduty`, `${key}-slack`, "oncall-email"]],
      [{ severity: "warning" }, [`${key}-slack`]],
    ];
    for (const [labels, receivers] of cases) {
      const result = await amtoolRoutesTest(out.alertmanager, { alertname: "Test", service: key, ...labels }, { verifyReceivers: receivers });
      assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
      assert.deepEqual(result.receivers, receivers);
    }
  });

  it(`gets a slo-<key> dashboard with each of its SLOs and its service.names, linked from the overview`, () => {
    const d = out.dashboards[`slo-${key}.json`];
    assert.ok(d, `dashboards: ${Object.keys(out.dashboards).join(", ")}`);
    assert.equal(d.uid, `slo-${key}`);
    assert.match(d.title, new RegExp(entry.displayName));
    const queries = exprs(d.panels);
    for (const slo of entry.slos) assert.ok(queries.some((q) => q.includes(`service="${key}",slo="${slo.name}"`)), slo.name);
    // Its request counter has no route label, only the status code its SLO judges by: traffic is split by code.
    const requests = entry.metrics.requests.name;
    assert.ok(queries.some((q) => q.startsWith(`sum by (code) (rate(${requests}{`)), `traffic of ${requests} by code`);
    assert.equal(d.templating.list.find((v) => v.name === "span_service")?.query, (entry.sampling.serviceNames ?? [key]).join(","));
    const overview = out.dashboards["slo-overview.json"];
    assert.ok(overview.links.some((l) => l.url === `/d/slo-${key}`));
  });
});
