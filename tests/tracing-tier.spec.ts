import { strict as assert } from "assert";
import { authAnnotations, http01Solver } from "../components/k8s/ingress";
import { selectorLabels } from "../components/k8s/labels";
import { selectorMatches } from "../policies/workloads";
import { topology } from "../components/topology";
import { type StackConfig, validateStackConfig } from "../config";
import { type Rendered, renderStack, stackValues } from "./support/harness";

/** The committed stack's resolved config: what every expectation below is computed from. */
const configOf = (stack: string): StackConfig => validateStackConfig(stackValues(stack));
const ns = configOf("prod").namespaces.tracing;

/** Every pod template of the tracing namespace, with its owner. */
function tracingPods(r: Rendered) {
  const templates = r.podTemplates().filter((t) => t.owner.metadata.namespace === ns);
  const cron = r.objects("CronJob").filter((o) => o.metadata.namespace === ns);
  return [
    ...templates.map((t) => ({ name: `${t.owner.kind}/${t.owner.metadata.name}`, spec: t.spec, labels: t.owner.spec.template.metadata.labels })),
    ...cron.map((o) => ({
      name: `CronJob/${o.metadata.name}`,
      spec: o.spec.jobTemplate.spec.template.spec,
      labels: o.spec.jobTemplate.spec.template.metadata.labels,
    })),
  ];
}

/** The one NetworkPolicy of the tracing namespace that selects a pod with these labels. */
function policyFor(r: Rendered, labels: Record<string, string>) {
  const found = r
    .objects("NetworkPolicy")
    .filter((p) => p.metadata.namespace === ns && Object.keys(p.spec.podSelector.matchLabels ?? {}).length > 0)
    .filter((p) => selectorMatches(p.spec.podSelector, labels));
  assert.equal(found.length, 1, `policies selecting ${JSON.stringify(labels)}: ${found.map((p) => p.metadata.name).join(", ")}`);
  return found[0];
}

const ports = (rule: any) => rule.ports.map((p: any) => p.port).sort();

describe("TracingTier: recorded resources", () => {
  let staging: Rendered;
  let prod: Rendered;
  const cfg = { staging: configOf("staging"), prod: configOf("prod") };
  const badger = () => {
    const storage = cfg.staging.tracing.jaeger.storage;
    assert.equal(storage.kind, "badger", "the committed staging stack stores traces in Badger");
    return storage as Extract<typeof storage, { kind: "badger" }>;
  };
  const openSearch = () => {
    const storage = cfg.prod.tracing.jaeger.storage;
    assert.equal(storage.kind, "opensearch", "the committed prod stack stores traces in OpenSearch");
    return storage as Extract<typeof storage, { kind: "opensearch" }>;
  };
  before(async () => {
    staging = await renderStack("staging");
    prod = await renderStack("prod");
  });

  describe("topology and replicas", () => {
    it("staging: agent DaemonSet, the configured gateways, one Badger collector StatefulSet with an encrypted claim, the query", () => {
      const t = cfg.staging.tracing;
      assert.equal(staging.object("DaemonSet", "otel-agent", ns).kind, "DaemonSet");
      assert.equal(staging.object("Deployment", "otel-gateway", ns).spec.replicas, t.gateway.replicas);
      const collector = staging.object("StatefulSet", "jaeger-collector", ns);
      assert.equal(collector.spec.replicas, 1, "Badger is a single-writer store");
      assert.deepEqual(
        collector.spec.volumeClaimTemplates.map((v: any) => [v.metadata.name, v.spec.storageClassName, v.spec.resources.requests.storage]),
        [["badger", cfg.staging.storageClass.name, badger().storage]],
      );
      assert.deepEqual(collector.spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: "Retain", whenScaled: "Retain" });
      assert.equal(staging.object("Deployment", "jaeger-query", ns).spec.replicas, t.jaeger.query.replicas);
      assert.deepEqual(staging.objects("Deployment").filter((d) => d.metadata.name === "jaeger-collector"), []);
      assert.deepEqual(staging.resources.filter((x) => x.type.startsWith("aws:") && x.urn.includes("TracingTier")).map((x) => x.type), []);
    });

    it("prod: the configured gateways, collectors and queries, each spread over nodes and zones with a PDB selecting it", () => {
      const t = cfg.prod.tracing;
      for (const [name, replicas] of [
        ["otel-gateway", t.gateway.replicas],
        ["jaeger-collector", t.jaeger.collector.replicas],
        ["jaeger-query", t.jaeger.query.replicas],
      ] as const) {
        assert.ok(replicas > 1, `${name}: prod runs more than one replica`);
        const d = prod.object("Deployment", name, ns);
        assert.equal(d.spec.replicas, replicas, name);
        const labels = d.spec.template.metadata.labels;
        const pdbs = prod.objects("PodDisruptionBudget").filter((p) => p.metadata.namespace === ns && selectorMatches(p.spec.selector, labels));
        assert.deepEqual(pdbs.map((p) => [p.metadata.name, p.spec.maxUnavailable]), [[name, 1]]);
        const anti = d.spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0];
        assert.equal(anti.topologyKey, "kubernetes.io/hostname");
        assert.deepEqual(anti.labelSelector.matchLabels, d.spec.selector.matchLabels);
        assert.equal(d.spec.template.spec.topologySpreadConstraints[0].topologyKey, "topology.kubernetes.io/zone");
      }
      assert.deepEqual(prod.objects("StatefulSet").filter((s) => s.metadata.namespace === ns), []);
    });

    it("the gateway Service is headless and the agent Service is node-local on 4317/4318", () => {
      assert.equal(staging.object("Service", "otel-gateway", ns).spec.clusterIP, "None");
      const agent = staging.object("Service", "otel-agent", ns).spec;
      assert.equal(agent.internalTrafficPolicy, "Local");
      assert.deepEqual(agent.ports.map((p: any) => p.port), [topology.otelAgent.ports.otlpGrpc, topology.otelAgent.ports.otlpHttp]);
      assert.equal(agent.type, undefined, "ClusterIP, never NodePort/LoadBalancer");
    });

    it("the agent reads only pods and namespaces from the API", () => {
      const role = staging.objects("ClusterRole").find((r) => r.metadata.name === "tracing-otel-agent")!;
      assert.deepEqual(role.rules, [{ apiGroups: [""], resources: ["pods", "namespaces"], verbs: ["get", "list", "watch"] }]);
      const binding = staging.objects("ClusterRoleBinding").find((b) => b.metadata.name === "tracing-otel-agent")!;
      assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: "otel-agent", namespace: ns }]);
    });

    it("lets the ingress controller reach cert-manager's HTTP-01 solver beside the Jaeger Ingress", () => {
      const solver = prod.object("NetworkPolicy", "jaeger-query-acme-http01-solver", ns).spec;
      assert.deepEqual(solver.podSelector.matchLabels, { "acme.cert-manager.io/http01-solver": "true" });
      assert.deepEqual(
        solver.ingress.map((i: any) => [i.from[0].namespaceSelector.matchLabels["kubernetes.io/metadata.name"], ports(i)]),
        [[cfg.prod.network.ingressController.namespace, [http01Solver.port]]],
      );
    });

    it("Jaeger query is published through a TLS Ingress with authentication on the configured host", () => {
      const ingress = prod.object("Ingress", "jaeger-query", ns);
      const { hosts, tlsSecretName, auth } = cfg.prod.ingress;
      assert.deepEqual(ingress.spec.tls, [{ hosts: [hosts.jaeger], secretName: tlsSecretName }]);
      assert.equal(ingress.spec.rules[0].http.paths[0].backend.service.name, "jaeger-query");
      assert.equal(ingress.spec.rules[0].http.paths[0].backend.service.port.number, topology.jaegerQuery.ports.http);
      for (const [key, value] of Object.entries(authAnnotations(auth))) assert.equal(ingress.metadata.annotations[key], value, key);
    });
  });

  describe("hardened pods", () => {
    it("no tracing pod uses host ports, host namespaces or host paths, and every container is locked down", () => {
      for (const r of [staging, prod]) {
        for (const pod of tracingPods(r)) {
          assert.ok(!pod.spec.hostNetwork && !pod.spec.hostPID && !pod.spec.hostIPC, pod.name);
          assert.deepEqual((pod.spec.volumes ?? []).filter((v: any) => v.hostPath), [], pod.name);
          assert.equal(typeof pod.spec.automountServiceAccountToken, "boolean", pod.name);
          for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
            assert.deepEqual((c.ports ?? []).filter((p: any) => p.hostPort), [], `${pod.name} ${c.name}`);
            assert.equal(c.securityContext.readOnlyRootFilesystem, true, `${pod.name} ${c.name}`);
            assert.equal(c.securityContext.allowPrivilegeEscalation, false, `${pod.name} ${c.name}`);
            assert.match(c.image, /:[0-9][\w.-]*$/, `${pod.name} ${c.name} is pinned`);
          }
        }
      }
    });

    it("only the agent (k8sattributes reads the Kubernetes API) mounts a token; IRSA brings its own projected token", () => {
      const mounting = (r: Rendered) => tracingPods(r).filter((p) => p.spec.automountServiceAccountToken).map((p) => p.name).sort();
      assert.deepEqual(mounting(staging), ["DaemonSet/otel-agent"]);
      assert.deepEqual(mounting(prod), ["DaemonSet/otel-agent"]);
    });
  });

  describe("OpenSearch (prod)", () => {
    /** The one resource of a type that the TracingTier registered (other tiers have keys, roles and groups too). */
    const ours = (r: Rendered, type: string) => r.ofType(type).filter((x) => x.urn.includes("sigma:observability:TracingTier$"));
    const one = (r: Rendered, type: string) => {
      const found = ours(r, type);
      assert.equal(found.length, 1, `${type}: ${found.map((f) => f.name).join(", ")}`);
      return found[0];
    };

    it("is multi-AZ with zone awareness, dedicated managers and gp3 storage", () => {
      const store = openSearch();
      const domain = one(prod, "aws:opensearch/domain:Domain").inputs;
      assert.equal(domain.domainName, store.domainName);
      assert.ok(store.zoneCount > 1 && store.dedicatedMasters, "the committed prod store spans zones with dedicated managers");
      assert.deepEqual(domain.clusterConfig, {
        instanceType: store.instanceType,
        instanceCount: store.instanceCount,
        zoneAwarenessEnabled: true,
        zoneAwarenessConfig: { availabilityZoneCount: store.zoneCount },
        dedicatedMasterEnabled: true,
        dedicatedMasterType: store.dedicatedMasterType,
        dedicatedMasterCount: 3,
      });
      assert.deepEqual(domain.ebsOptions, { ebsEnabled: true, volumeType: "gp3", volumeSize: store.volumeGiB });
    });

    it("encrypts at rest with its own rotating KMS key and node to node, and enforces HTTPS with TLS 1.2+", () => {
      const domain = one(prod, "aws:opensearch/domain:Domain").inputs;
      const key = one(prod, "aws:kms/key:Key");
      assert.equal(domain.encryptAtRest.enabled, true);
      assert.match(domain.encryptAtRest.kmsKeyId, /^arn:aws:kms:eu-west-1:\d{12}:key\/\[computed\]$/, "the stack's own key, not aws/es");
      assert.equal(key.inputs.enableKeyRotation, true);
      assert.deepEqual(domain.nodeToNodeEncryption, { enabled: true });
      assert.deepEqual(domain.domainEndpointOptions, { enforceHttps: true, tlsSecurityPolicy: "Policy-Min-TLS-1-2-PFS-2023-10" });
    });

    it("has no public access: VPC only, 443 from the client CIDRs only, no anonymous or internal users", () => {
      const domain = one(prod, "aws:opensearch/domain:Domain").inputs;
      const store = openSearch();
      assert.deepEqual(domain.vpcOptions.subnetIds, store.vpc.subnetIds);
      assert.equal(domain.vpcOptions.securityGroupIds.length, 1 + store.vpc.securityGroupIds.length);
      assert.deepEqual(domain.advancedSecurityOptions, {
        enabled: true,
        anonymousAuthEnabled: false,
        internalUserDatabaseEnabled: false,
        masterUserOptions: { masterUserArn: "[computed]" },
      });
      const rules = ours(prod, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").map((r) => r.inputs);
      assert.deepEqual(
        rules.map((r) => [r.ipProtocol, r.fromPort, r.toPort, r.cidrIpv4]),
        store.vpc.clientCidrs.map((cidr) => ["tcp", 443, 443, cidr]),
      );
      assert.equal(one(prod, "aws:ec2/securityGroup:SecurityGroup").inputs.ingress, undefined, "no inline rules");
      const policy = JSON.parse(one(prod, "aws:opensearch/domainPolicy:DomainPolicy").inputs.accessPolicies);
      assert.deepEqual(
        policy.Statement.map((s: any) => [s.Effect, s.Principal, s.Resource]),
        [["Allow", { AWS: "[computed]" }, "[computed]/*"]],
        "one statement, for the Jaeger role only, never Principal *",
      );
    });

    it("grants the IRSA role of the Jaeger ServiceAccount HTTP access to this one domain only", () => {
      const role = one(prod, "aws:iam/role:Role").inputs;
      const trust = JSON.parse(role.assumeRolePolicy).Statement;
      const issuer = cfg.prod.cluster.oidcProviderUrl!;
      assert.equal(trust.length, 1);
      assert.equal(trust[0].Action, "sts:AssumeRoleWithWebIdentity");
      assert.deepEqual(trust[0].Condition.StringEquals, { [`${issuer}:sub`]: `system:serviceaccount:${ns}:jaeger`, [`${issuer}:aud`]: "sts.amazonaws.com" });
      const policy = JSON.parse(one(prod, "aws:iam/rolePolicy:RolePolicy").inputs.policy).Statement;
      assert.deepEqual(policy, [
        { Effect: "Allow", Action: ["es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost", "es:ESHttpPut", "es:ESHttpDelete"], Resource: "[computed]/*" },
      ]);
      const sa = prod.object("ServiceAccount", "jaeger", ns);
      assert.equal(sa.metadata.annotations["eks.amazonaws.com/role-arn"], "[computed]");
    });

    it("protects the domain and its key in prod", () => {
      assert.equal(one(prod, "aws:opensearch/domain:Domain").options.protect, true);
      assert.equal(one(prod, "aws:kms/key:Key").options.protect, true);
    });

    it("enforces retention with a hardened daily index cleaner signed by a native SigV4 sidecar", () => {
      const cron = prod.object("CronJob", "jaeger-index-cleaner", ns);
      assert.equal(cron.spec.concurrencyPolicy, "Forbid");
      // A run missed by more than an hour is skipped, never started at an arbitrary time after controller downtime.
      assert.equal(cron.spec.startingDeadlineSeconds, 3600);
      const pod = cron.spec.jobTemplate.spec.template.spec;
      assert.equal(pod.restartPolicy, "Never");
      assert.deepEqual(pod.initContainers.map((c: any) => [c.name, c.restartPolicy]), [["sigv4-proxy", "Always"]]);
      assert.deepEqual(pod.initContainers[0].env, [{ name: "OPENSEARCH_HOST", value: "[computed]" }]);
      const { indices } = openSearch();
      assert.deepEqual(pod.containers[0].args, [`--index-prefix=${indices.prefix}`, String(indices.retentionDays), "http://127.0.0.1:8080"]);
      assert.equal(pod.serviceAccountName, "jaeger");
    });

    it("signs Jaeger's OpenSearch requests with the same native SigV4 sidecar in every collector and query pod", () => {
      for (const name of ["jaeger-collector", "jaeger-query"]) {
        const pod = prod.object("Deployment", name, ns).spec.template.spec;
        assert.deepEqual(pod.initContainers.map((c: any) => [c.name, c.restartPolicy]), [["sigv4-proxy", "Always"]], name);
        assert.deepEqual(pod.initContainers[0].env, [{ name: "OPENSEARCH_HOST", value: "[computed]" }], name);
        assert.deepEqual(pod.containers[0].env.map((e: any) => e.name), ["GOMEMLIMIT", "OTEL_TRACES_SAMPLER"], `${name}: Jaeger itself needs no AWS settings`);
      }
    });
  });

  describe("network policies", () => {
    it("open exactly the pipeline's flows in prod", () => {
      const agent = policyFor(prod, selectorLabels(topology.otelAgent.id)).spec;
      const network = cfg.prod.network;
      assert.deepEqual(agent.ingress[0].from, [{ namespaceSelector: { matchLabels: network.serviceNamespaceLabels }, podSelector: {} }]);
      assert.deepEqual(ports(agent.ingress[0]), [4317, 4318]);
      assert.deepEqual(agent.egress.map((e: any) => [e.to[0].podSelector?.matchLabels?.["app.kubernetes.io/instance"] ?? e.to[0].ipBlock.cidr, ports(e)]), [
        ["otel-gateway", [4317]],
        ...network.apiServerCidrs.map((cidr) => [cidr, [443]]),
      ]);

      const gateway = policyFor(prod, selectorLabels(topology.otelGateway.id)).spec;
      assert.deepEqual(gateway.ingress[0].from[0].podSelector.matchLabels, selectorLabels(topology.otelAgent.id));
      // Spans to Jaeger; spanmetrics over OTLP to the Prometheus replicas.
      assert.deepEqual(gateway.egress.map((e: any) => [e.to[0].podSelector.matchLabels["app.kubernetes.io/instance"], ports(e)]), [
        ["jaeger-collector", [4317]],
        ["prometheus", [9090]],
      ]);

      const peer = (t: any) => t.ipBlock?.cidr ?? t.podSelector.matchLabels["app.kubernetes.io/instance"];
      const egress = (w: "jaegerCollector" | "jaegerQuery") => policyFor(prod, selectorLabels(topology[w].id)).spec.egress.map((e: any) => [e.to.map(peer), ports(e)]);
      const aws = [network.awsEgressCidrs, [443]];
      assert.deepEqual(egress("jaegerCollector"), [aws]);
      // The query also reads the spanmetrics for its Monitor tab.
      assert.deepEqual(egress("jaegerQuery"), [aws, [["prometheus"], [9090]]]);
      const cleaner = prod.object("CronJob", "jaeger-index-cleaner", ns).spec.jobTemplate.spec.template.metadata.labels;
      const cleanerPolicy = policyFor(prod, cleaner).spec;
      assert.deepEqual([cleanerPolicy.ingress, cleanerPolicy.policyTypes], [undefined, ["Ingress", "Egress"]]);
    });

    it("let Prometheus scrape every collector's metrics port", () => {
      for (const w of ["otelAgent", "otelGateway", "jaegerCollector", "jaegerQuery"] as const) {
        const spec = policyFor(prod, selectorLabels(topology[w].id)).spec;
        const fromPrometheus = spec.ingress.filter((i: any) => i.from[0].podSelector.matchLabels?.["app.kubernetes.io/name"] === "prometheus");
        assert.deepEqual(fromPrometheus.map(ports), [[8888]], w);
        assert.deepEqual(fromPrometheus[0].from[0].namespaceSelector.matchLabels, { "kubernetes.io/metadata.name": cfg.prod.namespaces.monitoring });
      }
    });

    it("with Badger, open the query -> collector remote-storage flow on both sides and no AWS egress", () => {
      const collector = policyFor(staging, selectorLabels(topology.jaegerCollector.id)).spec;
      const query = policyFor(staging, selectorLabels(topology.jaegerQuery.id)).spec;
      assert.deepEqual([collector.egress, collector.policyTypes], [undefined, ["Ingress", "Egress"]]);
      assert.ok(collector.ingress.some((i: any) => i.from[0].podSelector.matchLabels["app.kubernetes.io/instance"] === "jaeger-query" && ports(i)[0] === 17271));
      assert.deepEqual(query.egress.map((e: any) => [e.to[0].podSelector.matchLabels["app.kubernetes.io/instance"], ports(e)]), [
        ["jaeger-collector", [17271]],
        ["prometheus", [9090]],
      ]);
      const uiFrom = query.ingress[0].from.map((f: any) => f.namespaceSelector.matchLabels["kubernetes.io/metadata.name"]);
      assert.deepEqual(uiFrom, [cfg.staging.network.ingressController.namespace, cfg.staging.namespaces.monitoring], "ingress controller and Grafana");
    });

    it("every tracing pod is selected by exactly one of the tier's policies", () => {
      for (const r of [staging, prod]) {
        for (const pod of tracingPods(r)) policyFor(r, pod.labels);
      }
    });
  });
});
