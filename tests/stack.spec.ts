import * as assert from "assert";
import { runPolicies } from "../policies/offline";
import { renderStack } from "./support/harness";

describe("the whole stack", () => {
  it("registers no AWS resource, not even a provider, when no AWS-backed store is selected (the local stack)", async () => {
    const r = await renderStack("local");
    const aws = r.resources.filter((x) => x.type.startsWith("aws:") || x.type === "pulumi:providers:aws");
    assert.deepStrictEqual(aws.map((x) => x.type), []);
    assert.ok(r.objects("StatefulSet").some((s) => s.metadata.name === "loki"), "Loki still renders, on its filesystem store");
    const report = await runPolicies(r.resources, { environment: "local" });
    assert.deepStrictEqual(report.violations, []);
  });

  it("sends every AWS resource through the one explicit provider, in the stack's region", async () => {
    const r = await renderStack("prod");
    const providers = r.resources.filter((x) => x.type === "pulumi:providers:aws");
    assert.strictEqual(providers.length, 1);
    assert.strictEqual(providers[0].inputs.region, "eu-west-1");
    const aws = r.resources.filter((x) => x.type.startsWith("aws:"));
    assert.ok(aws.length > 20, `${aws.length} AWS resources`);
    for (const x of aws) assert.strictEqual(x.options.provider, providers[0].urn, `${x.type} ${x.name}`);
  });

  it("exports endpoints, bucket and namespaces, with the admin password as a secret", async () => {
    const r = await renderStack("prod");
    const o = r.result.outputs as Record<string, any>;
    assert.strictEqual(o.environment, "prod");
    assert.deepStrictEqual(o.namespaces, { monitoring: "monitoring", tracing: "tracing", logging: "logging", logAgents: "log-agents" });
    assert.strictEqual(o.grafanaUrl, "https://grafana.sigma-platform.example/");
    assert.strictEqual(o.lokiBucket, "sigma-prod-loki-chunks-eu-west-1");
    assert.strictEqual(o.grafanaAdminPassword, "[secret]");
  });
});
