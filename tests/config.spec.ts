import * as assert from "assert";
import { z } from "zod";
import { ConfigError, validateSecrets, validateStackConfig } from "../config";
import { pinnedImage, res, statefulWorkload, workload } from "../config/common";
import { stackValues } from "./support/harness";

/** Validates and returns the thrown ConfigError's lines (one per problem). */
function problems(raw: unknown): string[] {
  try {
    validateStackConfig(raw, "test config");
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${e}`);
    return e.message.split("\n").slice(1).map((l) => l.trim());
  }
  assert.fail("the config was accepted");
}

function edited(edit: (v: Record<string, any>) => void): Record<string, any> {
  const v = stackValues("prod");
  edit(v);
  return v;
}

describe("stack config validation", () => {
  it("accepts both committed stack files and applies defaults", () => {
    for (const stack of ["staging", "prod"]) {
      const c = validateStackConfig(stackValues(stack));
      assert.strictEqual(c.environment, stack);
      assert.deepStrictEqual(c.namespaces, { monitoring: "monitoring", tracing: "tracing", logging: "logging", logAgents: "log-agents" });
      assert.strictEqual(c.storageClass.iops, 3000);
    }
  });

  const cases: { title: string; edit: (v: Record<string, any>) => void; expect: string[] }[] = [
    {
      title: "unknown environment",
      edit: (v) => (v.environment = "production"),
      expect: ['- environment: got "production"; allowed: one of "local", "staging", "prod"'],
    },
    {
      title: "missing environment",
      edit: (v) => delete v.environment,
      expect: ["- environment: got nothing (the key is missing); allowed: one of \"local\", \"staging\", \"prod\""],
    },
    {
      title: "a misspelt top-level key",
      edit: (v) => (v.monitorng = {}),
      expect: ["- monitorng: got nothing (the key is missing); allowed: no such key (monitorng); check the spelling against config.ts"],
    },
    {
      title: "a misspelt nested key",
      edit: (v) => (v.ingress.tlsSecret = "x"),
      expect: ["- ingress.tlsSecret: got nothing (the key is missing); allowed: no such key (tlsSecret); check the spelling against config.ts"],
    },
    {
      title: "a cluster name that is not a DNS label",
      edit: (v) => (v.cluster.name = "Sigma_Prod"),
      expect: ['- cluster.name: got "Sigma_Prod"; allowed: a DNS-1123 label: lowercase letters, digits and \'-\', at most 63 characters'],
    },
    {
      title: "an invalid AWS region",
      edit: (v) => (v.cluster.region = "europe-west1"),
      expect: ['- cluster.region: got "europe-west1"; allowed: an AWS region such as eu-west-1'],
    },
    {
      title: "an OIDC provider that is not an IAM ARN",
      edit: (v) => (v.cluster.oidcProviderArn = "arn:aws:eks:eu-west-1:123456789012:cluster/x"),
      expect: ['- cluster.oidcProviderArn: got "arn:aws:eks:eu-west-1:123456789012:cluster/x"; allowed: an ARN of the iam service (arn:aws:iam:...)'],
    },
    {
      title: "two tiers sharing a namespace",
      edit: (v) => (v.namespaces = { logging: "monitoring" }),
      expect: [
        '- namespaces.logging: got "monitoring"; allowed: a namespace distinct from namespaces.monitoring: the log agent\'s relaxed Pod Security level must not leak to other tiers',
      ],
    },
    {
      title: "the log agents sharing the logging namespace",
      edit: (v) => (v.namespaces = { logAgents: "logging" }),
      expect: [
        '- namespaces.logAgents: got "logging"; allowed: a namespace distinct from namespaces.logging: the log agent\'s relaxed Pod Security level must not leak to other tiers',
      ],
    },
    {
      title: "gp3 IOPS below the baseline",
      edit: (v) => (v.storageClass.iops = 1000),
      expect: ["- storageClass.iops: got 1000; allowed: an integer >= 3000 (gp3 baseline)"],
    },
    {
      title: "a KMS key that is not a KMS ARN",
      edit: (v) => (v.storageClass.kmsKeyArn = "alias/ebs"),
      expect: ['- storageClass.kmsKeyArn: got "alias/ebs"; allowed: an ARN of the kms service (arn:aws:kms:...)'],
    },
    {
      title: "an API server CIDR that is not a CIDR",
      edit: (v) => (v.network.apiServerCidrs = ["10.0.0.1"]),
      expect: ['- network.apiServerCidrs.0: got "10.0.0.1"; allowed: an IPv4 CIDR block such as 10.0.0.0/16'],
    },
    {
      title: "an empty list of API server CIDRs",
      edit: (v) => (v.network.apiServerCidrs = []),
      expect: ["- network.apiServerCidrs: got []; allowed: at least one CIDR"],
    },
    {
      title: "an ingress host that is not a DNS name",
      edit: (v) => (v.ingress.hosts.grafana = "https://grafana.example.com"),
      expect: ['- ingress.hosts.grafana: got "https://grafana.example.com"; allowed: a fully qualified lowercase DNS name'],
    },
    {
      title: "two UIs on one host",
      edit: (v) => (v.ingress.hosts.prometheus = v.ingress.hosts.grafana),
      expect: ['- ingress.hosts.prometheus: got "grafana.sigma-platform.example"; allowed: a host distinct from ingress.hosts.grafana'],
    },
    {
      title: "an unknown ingress auth mode",
      edit: (v) => (v.ingress.auth = { mode: "none" }),
      expect: ['- ingress.auth.mode: got "none"; allowed: one of "oauth2-proxy", "basic-auth"'],
    },
    {
      title: "an oauth2-proxy auth URL over plain HTTP",
      edit: (v) => (v.ingress.auth.authUrl = "http://auth.sigma-platform.example/oauth2/auth"),
      expect: ['- ingress.auth.authUrl: got "http://auth.sigma-platform.example/oauth2/auth"; allowed: an https URL'],
    },
    {
      title: "an AWS-backed store without IRSA settings",
      edit: (v) => {
        delete v.cluster.oidcProviderArn;
        delete v.cluster.oidcProviderUrl;
        v.archive ??= { bucketName: "sigma-prod-loki" };
      },
      expect: ["- cluster.oidcProviderArn: got nothing (the key is missing); allowed: set, because"],
    },
  ];

  for (const c of cases) {
    it(`rejects ${c.title}`, () => {
      const lines = problems(edited(c.edit));
      for (const expected of c.expect) {
        assert.ok(
          lines.some((l) => l === expected || (expected.endsWith("because") && l.startsWith(expected))),
          `missing problem:\n  ${expected}\ngot:\n  ${lines.join("\n  ")}`,
        );
      }
    });
  }

  it("lists every problem of a config at once, with the source named", () => {
    try {
      validateStackConfig(edited((v) => ((v.environment = "qa"), (v.cluster.region = "x"), (v.storageClass.iops = 1))), "config of stack \"prod\"");
      assert.fail("accepted");
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /^config of stack "prod" is invalid \(3 problems\):/);
      assert.deepStrictEqual(e.problems.map((p) => p.path).sort(), ["cluster.region", "environment", "storageClass.iops"]);
    }
  });
});

describe("shared schema blocks", () => {
  const parse = (schema: z.ZodType, value: unknown) => {
    try {
      validateWith(schema, value);
      return [];
    } catch (e) {
      return (e as ConfigError).problems.map((p) => `${p.path}: ${p.allowed}`);
    }
  };

  it("keeps a PodDisruptionBudget from allowing every replica down", () => {
    const w = workload({ replicas: 2, resources: res("100m", "128Mi", "256Mi") });
    assert.deepStrictEqual(parse(w, { replicas: 2, maxUnavailable: 2 }), [
      "maxUnavailable: fewer than replicas (2), so a disruption never takes every replica down",
    ]);
    assert.deepStrictEqual(parse(w, { replicas: 1, maxUnavailable: 1 }), []);
  });

  it("requires a memory limit at least the request", () => {
    const w = statefulWorkload({ replicas: 1, storage: "10Gi", resources: res("100m", "128Mi", "256Mi") });
    assert.deepStrictEqual(parse(w, { resources: { requests: { cpu: "1", memory: "2Gi" }, limits: { memory: "1Gi" } } }), [
      "resources.limits.memory: a memory limit at least the request (2Gi)",
    ]);
    assert.deepStrictEqual(parse(w, { resources: { requests: { cpu: "1", memory: "2Gi" }, limits: {} } }), [
      "resources.limits.memory: a value of type string",
    ]);
    assert.deepStrictEqual(parse(w, { storage: "500Mi" }), ["storage: a storage quantity of at least 1Gi, such as 20Gi"]);
  });

  it("refuses unpinned images", () => {
    for (const bad of ["grafana/grafana", "grafana/grafana:latest", "quay.io/prometheus/prometheus:"]) {
      assert.deepStrictEqual(parse(pinnedImage, bad), [
        "(root): an image pinned to a version tag such as registry/name:v1.2.3 (not 'latest', not untagged)",
      ]);
    }
    for (const good of ["quay.io/prometheus/prometheus:v3.5.0", "docker.io/grafana/grafana:12.1.1", `memcached:1.6.39-alpine@sha256:${"a".repeat(64)}`]) {
      assert.deepStrictEqual(parse(pinnedImage, good), []);
    }
  });
});

describe("secret config validation", () => {
  const c = validateStackConfig(stackValues("prod"));
  it("names every missing or malformed secret without printing its value", () => {
    try {
      validateSecrets({ slackWebhookUrl: "https://example.com/hook", pagerdutyRoutingKeys: {} }, c, "secret config");
      assert.fail("accepted");
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      const lines = e.message.split("\n").slice(1).map((l) => l.trim());
      assert.ok(lines.includes('- slackWebhookUrl: got "(secret, not shown)"; allowed: a Slack incoming-webhook URL (https://hooks.slack.com/services/...)'), lines.join("\n"));
      assert.ok(
        lines.includes(
          "- smtpPassword: got nothing (the key is missing); allowed: the password of SMTP user AKIAZ3EXAMPLESMTPUSER (pulumi config set --secret smtpPassword <password>)",
        ),
        lines.join("\n"),
      );
      assert.ok(lines.some((l) => l.startsWith("- pagerdutyRoutingKeys.platform: got nothing")), lines.join("\n"));
      assert.ok(!e.message.includes("example.com"));
    }
  });
});

function validateWith(schema: z.ZodType, value: unknown) {
  const r = schema.safeParse(value, { reportInput: true });
  if (r.success) return r.data;
  throw new ConfigError(
    r.error.issues.map((i) => ({ path: i.path.join(".") || "(root)", value: (i as { input?: unknown }).input, allowed: i.code === "invalid_type" ? `a value of type ${i.expected}` : i.message })),
    "value",
  );
}
