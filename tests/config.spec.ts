import * as assert from "assert";
import { z } from "zod";
import { ConfigError, validateSecrets, validateStackConfig } from "../config";
import { check, describeValue, keyPath, validate } from "../config/errors";
import { pinnedImage, res, statefulWorkload, workload } from "../config/common";
import { synthStack } from "../scripts/synth";
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
      expect: [
        "- monitorng: got {}; allowed: one of the keys environment, protectData, cluster, namespaces, storageClass, network, ingress, images, monitoring, tracing, logging, archive, alerting",
      ],
    },
    {
      title: "an unpinned image, and an image key of the old per-tier shape",
      edit: (v) => {
        v.images = { grafana: "grafana/grafana:latest" };
        v.tracing.images = { collector: "otel/opentelemetry-collector-contrib:0.160.0" };
      },
      expect: [
        "- images.grafana: got \"grafana/grafana:latest\"; allowed: an image pinned to a version tag such as registry/name:v1.2.3 (not 'latest', not untagged)",
        "- tracing.images: got {\"collector\":\"otel/opentelemetry-collector-contrib:0.160.0\"}; allowed: one of the keys agent, gateway, sampling, jaeger",
      ],
    },
    {
      title: "a misspelt nested key",
      edit: (v) => (v.ingress.tlsSecret = "x"),
      expect: ['- ingress.tlsSecret: got "x"; allowed: one of the keys className, clusterIssuer, tlsSecretName, hosts, auth'],
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
      expect: ['- network.apiServerCidrs[0]: got "10.0.0.1"; allowed: an IPv4 CIDR block such as 10.0.0.0/16'],
    },
    {
      title: "a label value that is not a string, under a key with dots",
      edit: (v) => (v.network.serviceNamespaceLabels = { "observability.sigma.dev/monitored": true }),
      expect: ['- network.serviceNamespaceLabels["observability.sigma.dev/monitored"]: got true; allowed: a value of type string'],
    },
    {
      title: "an alerting sender that is not an email address",
      edit: (v) => (v.alerting.email.from = "not-an-email"),
      expect: ['- alerting.email.from: got "not-an-email"; allowed: an email address'],
    },
    {
      title: "a runbook base URL over plain http",
      edit: (v) => (v.alerting.runbookBaseUrl = "http://git.example/org/repo/blob/main/docs/runbooks"),
      expect: ['- alerting.runbookBaseUrl: got "http://git.example/org/repo/blob/main/docs/runbooks"; allowed: an https URL of the docs/runbooks folder, such as https://github.com/org/repo/blob/main/docs/runbooks'],
    },
    {
      title: "a runbook base URL with a trailing slash",
      edit: (v) => (v.alerting.runbookBaseUrl = "https://git.example/docs/runbooks/"),
      expect: ['- alerting.runbookBaseUrl: got "https://git.example/docs/runbooks/"; allowed: an https URL of the docs/runbooks folder without a trailing slash, query or fragment'],
    },
    {
      title: "a service owned by a team that is not defined",
      edit: (v) => (v.alerting.owners = { ryot: "nobody" }),
      expect: [`- alerting.owners.ryot: got "nobody"; allowed: one of the teams: ${Object.keys(validateStackConfig(stackValues("prod")).alerting.teams).join(", ")}`],
    },
    {
      title: "an OpenSearch zone count other than 2 or 3",
      edit: (v) => (v.tracing.jaeger.storage.zoneCount = 1),
      expect: ["- tracing.jaeger.storage.zoneCount: got 1; allowed: one of 2, 3"],
    },
    {
      title: "a fractional replica count",
      edit: (v) => (v.monitoring.alertmanager.replicas = 2.5),
      expect: ["- monitoring.alertmanager.replicas: got 2.5; allowed: an integer"],
    },
    {
      title: "an empty list of API server CIDRs",
      edit: (v) => (v.network.apiServerCidrs = []),
      expect: ["- network.apiServerCidrs: got []; allowed: at least one CIDR"],
    },
    {
      title: "no API server endpoints (there is no safe default: the Service range would block discovery)",
      edit: (v) => delete v.network.apiServerCidrs,
      expect: ["- network.apiServerCidrs: got nothing (the key is missing); allowed: a value of type array"],
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
      title: "unprotected data in prod",
      edit: (v) => (v.protectData = false),
      expect: ["- protectData: got false; allowed: true or unset: prod data is always protected"],
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

  it("reports every misspelt key of an object on its own line, with the value written there", () => {
    const lines = problems(edited((v) => (v.storageClass = { ...v.storageClass, iop: 4000, throughput: 250 })));
    assert.deepStrictEqual(lines, [
      "- storageClass.iop: got 4000; allowed: one of the keys name, create, kmsKeyArn, iops, throughputMiBps",
      "- storageClass.throughput: got 250; allowed: one of the keys name, create, kmsKeyArn, iops, throughputMiBps",
    ]);
  });

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
    const result = check(schema, value);
    return result.ok ? [] : result.problems.map((p) => `${p.path}: ${p.allowed}`);
  };

  it("keeps Alertmanager's notification log at least as long as the longest repeat interval", () => {
    assert.deepStrictEqual(problems(edited((v) => (v.monitoring.alertmanager = { ...v.monitoring.alertmanager, dataRetention: "120h" }))), [
      '- monitoring.alertmanager.dataRetention: got "120h"; allowed: a duration of at least alerting.timings.repeatInterval.info (168h): Alertmanager forgets a notification after its retention and would repeat it sooner',
    ]);
    assert.strictEqual(validateStackConfig(stackValues("prod")).monitoring.alertmanager.dataRetention, "192h");
  });

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
          "- smtpPassword: got nothing (the key is missing); allowed: the password of SMTP user AKIAZ3SMTPEXAMPLE123 (pulumi config set --secret smtpPassword <password>)",
        ),
        lines.join("\n"),
      );
      assert.ok(lines.some((l) => l.startsWith("- pagerdutyRoutingKeys.platform: got nothing")), lines.join("\n"));
      assert.ok(!e.message.includes("example.com"));
    }
  });
});

describe("loading the stack config", () => {
  it("never shows the value of a key set as a secret, even under a name the config does not know", async () => {
    const leaked = "https://hooks.slack.com/services/T0/B0/must-not-be-printed";
    const error = await synthStack({ stack: "staging", secrets: { slackWebhookURL: leaked } }).then(
      () => assert.fail("a misspelt secret key was accepted"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
    assert.deepStrictEqual(error.problems.map((p) => p.path), ["slackWebhookURL"]);
    assert.strictEqual(error.problems[0].value, "(secret, not shown)");
    assert.ok(!error.message.includes("must-not-be-printed"), error.message);
  });
});

describe("validation problems (config/errors.ts)", () => {
  it("writes key paths the way `pulumi config set --path` reads them", () => {
    assert.strictEqual(keyPath(["network", "apiServerCidrs", 0]), "network.apiServerCidrs[0]");
    assert.strictEqual(keyPath(["archive", "transitions", 1, "days"]), "archive.transitions[1].days");
    assert.strictEqual(keyPath(["slos", 2, "objective"]), "slos[2].objective");
    assert.strictEqual(keyPath(["teams", "on-call", "slackChannel"]), "teams.on-call.slackChannel");
    assert.strictEqual(keyPath(["labels", "app.kubernetes.io/name"]), 'labels["app.kubernetes.io/name"]');
    assert.strictEqual(keyPath(["labels", 'say "hi"', 0]), 'labels["say \\"hi\\""][0]');
    assert.strictEqual(keyPath(["*"]), '["*"]');
    assert.strictEqual(keyPath([]), "(root)");
  });

  it("shows the value given, cut at 120 characters, and says when the key is missing", () => {
    assert.strictEqual(describeValue(undefined), "nothing (the key is missing)");
    assert.strictEqual(describeValue(null), "null");
    assert.strictEqual(describeValue("10.0.0.1"), '"10.0.0.1"');
    const long = describeValue("x".repeat(200));
    assert.strictEqual(long.length, 120);
    assert.strictEqual(long, `"${"x".repeat(116)}...`);
  });

  it("words zod's built-in issues as what is allowed, and keeps a schema's own message", () => {
    const schema = z.strictObject({
      count: z.number().int().min(1),
      name: z.string().min(1),
      names: z.array(z.string()).min(2).max(3),
      mode: z.enum(["a", "b"]),
      zones: z.union([z.literal(2), z.literal(3)]),
      url: z.url(),
      tag: z.string().regex(/^v\d+$/),
      own: z.number().min(1, "an integer >= 1 (one replica at least)"),
    });
    const result = check(schema, { count: 0.5, name: "", names: ["x"], mode: "c", zones: 4, url: "nope", tag: "1", own: 0, extra: true }, ["section"]);
    assert.ok(!result.ok);
    assert.deepStrictEqual(result.problems, [
      { path: "section.count", value: 0.5, allowed: "an integer" },
      { path: "section.name", value: "", allowed: "a non-empty string" },
      { path: "section.names", value: ["x"], allowed: "at least 2 items" },
      { path: "section.mode", value: "c", allowed: 'one of "a", "b"' },
      { path: "section.zones", value: 4, allowed: "one of 2, 3" },
      { path: "section.url", value: "nope", allowed: "a URL" },
      { path: "section.tag", value: "1", allowed: "a string matching /^v\\d+$/" },
      { path: "section.own", value: 0, allowed: "an integer >= 1 (one replica at least)" },
      { path: "section.extra", value: true, allowed: "one of the keys count, name, names, mode, zones, url, tag, own" },
    ]);
  });

  it("reports the discriminator a user wrote, not the whole object", () => {
    const auth = z.discriminatedUnion("mode", [z.strictObject({ mode: z.literal("basic") }), z.strictObject({ mode: z.literal("oauth") })]);
    assert.deepStrictEqual(check(auth, { mode: "none", secret: "s" }, ["auth"]), {
      ok: false,
      problems: [{ path: "auth.mode", value: "none", allowed: 'one of "basic", "oauth"' }],
    });
    assert.throws(
      () => validate(auth, { mode: "none" }, "auth settings", ["auth"]),
      (e: unknown) => e instanceof ConfigError && e.message === 'auth settings is invalid (1 problem):\n  - auth.mode: got "none"; allowed: one of "basic", "oauth"',
    );
  });
});
