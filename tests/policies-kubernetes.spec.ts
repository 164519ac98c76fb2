import assert from "node:assert/strict";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { findCredentials } from "../policies/credentials";
import * as policies from "../policies/kubernetes";
import { type PolicyPackConfig, type RecordedResource, runPolicies } from "../policies/offline";
import * as rbac from "../policies/rbac";
import { k8s } from "../policies/tokens";
import { workloadTypes } from "../policies/workloads";
import { type Json, recorded, violationMessages } from "./support/policy-fixtures";

/** A resource named "test" unless said otherwise: most checks here need one resource and no name. */
const resource = (type: string, inputs: Json, name = "test") => recorded(type, name, inputs);

/** Messages one policy reports for one resource, through the offline runner (the same args the CLI builds). */
const messages = (policy: ResourceValidationPolicy, r: RecordedResource, config?: PolicyPackConfig) =>
  violationMessages(policy, [r], { config });

function hardenedContainer(name: string): Json {
  return {
    name,
    image: "grafana/grafana:11.2.0",
    securityContext: {
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    },
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } },
  };
}

function hardenedPodSpec(): Json {
  return {
    automountServiceAccountToken: false,
    securityContext: { runAsNonRoot: true, runAsUser: 472, seccompProfile: { type: "RuntimeDefault" } },
    initContainers: [hardenedContainer("init")],
    containers: [hardenedContainer("grafana")],
  };
}

/** A compliant Deployment; `change` breaks one thing on a deep copy. */
function deployment(change: (d: Json) => void = () => {}): RecordedResource {
  const d: Json = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "grafana", namespace: "monitoring" },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: "grafana" } },
      template: { metadata: { labels: { app: "grafana" } }, spec: hardenedPodSpec() },
    },
  };
  change(d);
  return resource(k8s.deployment, d, "grafana");
}

const main = 'spec.template.spec.containers[0] "grafana"';
const init = 'spec.template.spec.initContainers[0] "init"';

describe("policies: Kubernetes workloads", () => {
  it("the hardened Deployment passes every Kubernetes policy", async () => {
    const report = await runPolicies([deployment()], { policies: policies.kubernetesPolicies });
    assert.deepEqual(report.violations, []);
  });

  it("finds the pod spec of every workload kind (the same rule covers every tier)", async () => {
    const pod = hardenedPodSpec();
    pod.containers[0].securityContext.runAsUser = 0;
    const cases: Array<[string, Json, string]> = [
      [k8s.pod, { kind: "Pod", metadata: { name: "p" }, spec: pod }, "spec"],
      [k8s.statefulSet, { kind: "StatefulSet", spec: { template: { spec: pod } } }, "spec.template.spec"],
      [k8s.daemonSet, { kind: "DaemonSet", spec: { template: { spec: pod } } }, "spec.template.spec"],
      [k8s.job, { kind: "Job", spec: { template: { spec: pod } } }, "spec.template.spec"],
      [k8s.cronJob, { kind: "CronJob", spec: { jobTemplate: { spec: { template: { spec: pod } } } } }, "spec.jobTemplate.spec.template.spec"],
    ];
    for (const [type, inputs, path] of cases) {
      assert.deepEqual(await messages(policies.runAsNonRoot, resource(type, inputs)), [
        `${path}.containers[0] "grafana": securityContext.runAsUser is 0; must be a non-zero UID`,
      ]);
    }
  });

  describe("k8s-run-as-non-root", () => {
    it("accepts runAsNonRoot set only at pod level", async () => {
      const d = deployment((x) => delete x.spec.template.spec.containers[0].securityContext.runAsNonRoot);
      assert.deepEqual(await messages(policies.runAsNonRoot, d), []);
    });
    it("rejects a container that overrides the pod with runAsNonRoot false, and UID 0 in an init container", async () => {
      const d = deployment((x) => {
        x.spec.template.spec.containers[0].securityContext.runAsNonRoot = false;
        x.spec.template.spec.initContainers[0].securityContext.runAsUser = 0;
      });
      assert.deepEqual(await messages(policies.runAsNonRoot, d), [
        `${init}: securityContext.runAsUser is 0; must be a non-zero UID`,
        `${main}: securityContext.runAsNonRoot is false at container and pod level; must be true`,
      ]);
    });
    it("rejects runAsNonRoot missing at both levels", async () => {
      const d = deployment((x) => {
        delete x.spec.template.spec.securityContext.runAsNonRoot;
        delete x.spec.template.spec.initContainers;
        delete x.spec.template.spec.containers[0].securityContext.runAsNonRoot;
      });
      assert.deepEqual(await messages(policies.runAsNonRoot, d), [
        `${main}: securityContext.runAsNonRoot is unset at container and pod level; must be true`,
      ]);
    });
  });

  describe("the chown init container exception", () => {
    /** A log agent whose init container `name` runs as root adding `caps`, in workload `workload`. */
    function withRootInit(name: string, caps: string[], workload = "log-agent"): RecordedResource {
      const pod = hardenedPodSpec();
      Object.assign(pod.initContainers[0], { name, securityContext: { ...pod.initContainers[0].securityContext, runAsUser: 0, runAsNonRoot: false, capabilities: { drop: ["ALL"], add: caps } } });
      return resource(k8s.daemonSet, { kind: "DaemonSet", metadata: { name: workload, namespace: "log-agents" }, spec: { template: { spec: pod } } });
    }
    const owner = (name: string) => `spec.template.spec.initContainers[0] "${name}"`;
    it("lets the allow-listed state-owner init container run as root with CHOWN alone", async () => {
      assert.deepEqual(await messages(policies.runAsNonRoot, withRootInit("state-owner", ["CHOWN"])), []);
      assert.deepEqual(await messages(policies.dropAllCapabilities, withRootInit("state-owner", ["CHOWN"])), []);
    });
    it("refuses any other capability for it, and root for any other container or workload", async () => {
      assert.deepEqual(await messages(policies.dropAllCapabilities, withRootInit("state-owner", ["CHOWN", "DAC_OVERRIDE"])), [
        `${owner("state-owner")}: securityContext.capabilities.add contains "DAC_OVERRIDE"; only "CHOWN" may be added`,
      ]);
      for (const r of [withRootInit("setup", ["CHOWN"]), withRootInit("state-owner", ["CHOWN"], "other-agent")]) {
        const name = r.inputs.spec.template.spec.initContainers[0].name;
        assert.deepEqual(await messages(policies.runAsNonRoot, r), [
          `${owner(name)}: securityContext.runAsUser is 0; must be a non-zero UID`,
          `${owner(name)}: securityContext.runAsNonRoot is false at container and pod level; must be true`,
        ]);
        assert.deepEqual(await messages(policies.dropAllCapabilities, r), [
          `${owner(name)}: securityContext.capabilities.add contains "CHOWN"; only "NET_BIND_SERVICE" may be added`,
        ]);
      }
    });
  });

  it("k8s-no-privileged-containers", async () => {
    assert.deepEqual(await messages(policies.noPrivilegedContainers, deployment()), []);
    const d = deployment((x) => (x.spec.template.spec.initContainers[0].securityContext.privileged = true));
    assert.deepEqual(await messages(policies.noPrivilegedContainers, d), [
      `${init}: securityContext.privileged is true; must be false or unset`,
    ]);
  });

  it("k8s-no-privilege-escalation requires an explicit false", async () => {
    assert.deepEqual(await messages(policies.noPrivilegeEscalation, deployment()), []);
    const d = deployment((x) => delete x.spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation);
    assert.deepEqual(await messages(policies.noPrivilegeEscalation, d), [
      `${main}: securityContext.allowPrivilegeEscalation is unset; must be false`,
    ]);
  });

  it("k8s-drop-all-capabilities", async () => {
    const bindOk = deployment((x) => (x.spec.template.spec.containers[0].securityContext.capabilities.add = ["NET_BIND_SERVICE"]));
    assert.deepEqual(await messages(policies.dropAllCapabilities, bindOk), []);
    const d = deployment((x) => (x.spec.template.spec.containers[0].securityContext.capabilities = { drop: ["NET_RAW"], add: ["SYS_ADMIN"] }));
    assert.deepEqual(await messages(policies.dropAllCapabilities, d), [
      `${main}: securityContext.capabilities.drop is ["NET_RAW"]; must include "ALL"`,
      `${main}: securityContext.capabilities.add contains "SYS_ADMIN"; only "NET_BIND_SERVICE" may be added`,
    ]);
  });

  it("k8s-read-only-root-filesystem", async () => {
    assert.deepEqual(await messages(policies.readOnlyRootFilesystem, deployment()), []);
    const d = deployment((x) => (x.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem = false));
    assert.deepEqual(await messages(policies.readOnlyRootFilesystem, d), [
      `${main}: securityContext.readOnlyRootFilesystem is false; must be true`,
    ]);
  });

  it("k8s-seccomp-runtime-default reads the pod-level default and rejects Unconfined", async () => {
    const podLevelOnly = deployment((x) => {
      for (const c of [...x.spec.template.spec.containers, ...x.spec.template.spec.initContainers]) delete c.securityContext.seccompProfile;
    });
    assert.deepEqual(await messages(policies.seccompRuntimeDefault, podLevelOnly), []);
    const d = deployment((x) => (x.spec.template.spec.containers[0].securityContext.seccompProfile = { type: "Unconfined" }));
    assert.deepEqual(await messages(policies.seccompRuntimeDefault, d), [
      `${main}: securityContext.seccompProfile.type is "Unconfined" at container and pod level; must be "RuntimeDefault" or "Localhost"`,
    ]);
  });

  it("k8s-no-host-namespaces", async () => {
    assert.deepEqual(await messages(policies.noHostNamespaces, deployment()), []);
    const d = deployment((x) => Object.assign(x.spec.template.spec, { hostNetwork: true, hostPID: true, hostIPC: false }));
    assert.deepEqual(await messages(policies.noHostNamespaces, d), [
      "spec.template.spec.hostNetwork is true; must be false or unset",
      "spec.template.spec.hostPID is true; must be false or unset",
    ]);
  });

  describe("k8s-host-path-allow-list", () => {
    function logAgent(path: string, readOnly: boolean, name = "log-agent"): RecordedResource {
      const pod = hardenedPodSpec();
      pod.volumes = [{ name: "pods", hostPath: { path, type: "Directory" } }];
      pod.containers[0].volumeMounts = [{ name: "pods", mountPath: "/var/log/pods", readOnly }];
      return resource(k8s.daemonSet, { kind: "DaemonSet", metadata: { name, namespace: "log-agents" }, spec: { template: { spec: pod } } });
    }
    it("allows the default allow-listed log agent to read /var/log/pods", async () => {
      assert.deepEqual(await messages(policies.hostPathAllowList, logAgent("/var/log/pods", true)), []);
    });
    it("requires the mount to be read-only even for the allow-listed agent", async () => {
      assert.deepEqual(await messages(policies.hostPathAllowList, logAgent("/var/log/pods", false)), [
        'spec.template.spec.containers[0] "grafana": volumeMounts "pods" (hostPath) has readOnly false; must be true',
      ]);
    });
    it("rejects other paths for the agent and any hostPath for other workloads", async () => {
      assert.deepEqual(await messages(policies.hostPathAllowList, logAgent("/var/run/docker.sock", true)), [
        'spec.template.spec.volumes[0] "pods": hostPath "/var/run/docker.sock" is not allowed; allowed paths: /var/log/pods (read-only), /var/lib/sigma-observability (writable)',
      ]);
      assert.deepEqual(await messages(policies.hostPathAllowList, logAgent("/var/log/pods", true, "other-agent")), [
        'spec.template.spec.volumes[0] "pods": hostPath "/var/log/pods" is not allowed; DaemonSet log-agents/other-agent is not on the allow-list',
      ]);
    });
    it("resolves .. before matching, so an allowed prefix cannot be climbed out of", async () => {
      assert.deepEqual(await messages(policies.hostPathAllowList, logAgent("/var/log/pods/../../../etc", true)), [
        'spec.template.spec.volumes[0] "pods": hostPath "/var/log/pods/../../../etc" is not allowed; allowed paths: /var/log/pods (read-only), /var/lib/sigma-observability (writable)',
      ]);
      assert.equal(policies.isUnderPath("/var/log/pods/ns_pod_uid/", "/var/log/pods"), true);
      assert.equal(policies.isUnderPath("/var/log/podsx", "/var/log/pods"), false);
    });
    it("lets the agent mount its own state path writable, and nothing else", async () => {
      const agent = logAgent("/var/log/pods", true);
      const pod = agent.inputs.spec.template.spec;
      pod.volumes.push({ name: "state", hostPath: { path: "/var/lib/sigma-observability/log-agent", type: "DirectoryOrCreate" } });
      pod.containers[0].volumeMounts.push({ name: "state", mountPath: "/var/lib/otelcol" });
      assert.deepEqual(await messages(policies.hostPathAllowList, agent), []);
      pod.volumes[1].hostPath.path = "/var/lib/kubelet";
      assert.deepEqual(await messages(policies.hostPathAllowList, agent), [
        'spec.template.spec.volumes[1] "state": hostPath "/var/lib/kubelet" is not allowed; allowed paths: /var/log/pods (read-only), /var/lib/sigma-observability (writable)',
        'spec.template.spec.containers[0] "grafana": volumeMounts "state" (hostPath) has readOnly unset; must be true',
      ]);
    });
    it("takes the allow-list from policy config", async () => {
      const config = {
        "k8s-host-path-allow-list": { allowList: [{ kind: "DaemonSet", namespace: "log-agents", name: "other-agent", paths: ["/var/log"] }] },
      };
      assert.deepEqual(await messages(policies.hostPathAllowList, logAgent("/var/log/pods", true, "other-agent"), config), []);
    });
  });

  describe("k8s-resource-requests-and-limits", () => {
    it("requires CPU and memory requests and a memory limit, not a CPU limit by default", async () => {
      assert.deepEqual(await messages(policies.resourceRequestsAndLimits, deployment()), []);
      const d = deployment((x) => (x.spec.template.spec.containers[0].resources = { requests: { cpu: "100m" }, limits: {} }));
      assert.deepEqual(await messages(policies.resourceRequestsAndLimits, d), [
        `${main}: resources.requests.memory is unset; must be set`,
        `${main}: resources.limits.memory is unset; must be set`,
      ]);
    });
    it("requires a CPU limit when configured", async () => {
      const config = { "k8s-resource-requests-and-limits": { requireCpuLimit: true } };
      assert.deepEqual(await messages(policies.resourceRequestsAndLimits, deployment(), config), [
        `${init}: resources.limits.cpu is unset; must be set`,
        `${main}: resources.limits.cpu is unset; must be set`,
      ]);
    });
  });

  describe("k8s-images-pinned", () => {
    it("parses registry ports, tags and digests", () => {
      assert.deepEqual(policies.parseImage("registry:5000/team/app"), { tag: undefined, digest: undefined });
      assert.deepEqual(policies.parseImage("registry:5000/team/app:1.2"), { tag: "1.2", digest: undefined });
      assert.deepEqual(policies.parseImage("app@sha256:abc"), { tag: undefined, digest: "sha256:abc" });
    });
    it("accepts a version tag or a digest and rejects latest and a missing tag", async () => {
      assert.deepEqual(await messages(policies.imagesPinned, deployment()), []);
      const byDigest = deployment((x) => (x.spec.template.spec.containers[0].image = "grafana/grafana@sha256:0123abcd"));
      assert.deepEqual(await messages(policies.imagesPinned, byDigest), []);
      const d = deployment((x) => {
        x.spec.template.spec.containers[0].image = "grafana/grafana:latest";
        x.spec.template.spec.initContainers[0].image = "registry:5000/busybox";
      });
      assert.deepEqual(await messages(policies.imagesPinned, d), [
        `${init}: image "registry:5000/busybox" has no tag; must pin a version tag or a digest`,
        `${main}: image "grafana/grafana:latest" uses the mutable tag "latest"; must pin a version tag or a digest`,
      ]);
    });
  });

  it("k8s-explicit-service-account-token is advisory", async () => {
    const d = deployment((x) => delete x.spec.template.spec.automountServiceAccountToken);
    const report = await runPolicies([d], { policies: [policies.explicitServiceAccountToken] });
    assert.deepEqual(
      report.violations.map((v) => [v.enforcementLevel, v.message]),
      [["advisory", "spec.template.spec.automountServiceAccountToken is unset; must be true or false"]],
    );
    assert.deepEqual(await messages(policies.explicitServiceAccountToken, deployment()), []);
  });

  describe("k8s-network-policy-not-open", () => {
    const netpol = (spec: Json) => resource(k8s.networkPolicy, { kind: "NetworkPolicy", metadata: { name: "p", namespace: "monitoring" }, spec });
    it("accepts named sources, and egress to every address on named ports only", async () => {
      const ok = netpol({
        podSelector: { matchLabels: { app: "grafana" } },
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } }, podSelector: {} }], ports: [{ port: 3000 }] }],
        egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ protocol: "TCP", port: 443 }] }],
      });
      assert.deepEqual(await messages(policies.networkPolicyNotOpen, ok), []);
    });
    it("refuses an allow-all rule, every namespace, every address, and egress everywhere on every port", async () => {
      const open = netpol({
        podSelector: {},
        policyTypes: ["Ingress", "Egress"],
        ingress: [{}, { from: [{ namespaceSelector: {} }, { ipBlock: { cidr: "0.0.0.0/0" } }] }],
        egress: [{}, { to: [{ namespaceSelector: {}, podSelector: {} }] }],
      });
      assert.deepEqual(await messages(policies.networkPolicyNotOpen, open), [
        "spec.ingress[0]: from is unset; must name the sources it admits (unset admits every source)",
        "spec.ingress[1].from[0]: namespaceSelector {} (every pod of every namespace); must name the sources it admits",
        "spec.ingress[1].from[1]: ipBlock 0.0.0.0/0 (every address); must name the sources it admits",
        "spec.egress[0]: to is unset (every destination) on every port; must name its destinations or its ports",
        "spec.egress[1]: namespaceSelector {} (every pod of every namespace) on every port; must name its destinations or its ports",
      ]);
    });
  });

  describe("k8s-api-token-only-for-api-clients", () => {
    const allowed = "StatefulSet monitoring/prometheus, DaemonSet tracing/otel-agent, DaemonSet log-agents/log-agent";
    it("refuses a token, set or left to the default, in a workload that does not call the API", async () => {
      assert.deepEqual(await messages(policies.apiTokenOnlyForApiClients, deployment()), []);
      for (const [value, shown] of [[true, "true"], [undefined, "unset"]] as const) {
        const d = deployment((x) => {
          if (value === undefined) delete x.spec.template.spec.automountServiceAccountToken;
          else x.spec.template.spec.automountServiceAccountToken = value;
        });
        assert.deepEqual(await messages(policies.apiTokenOnlyForApiClients, d), [
          `spec.template.spec.automountServiceAccountToken is ${shown}; must be false: Deployment monitoring/grafana is not a Kubernetes API client (allowed: ${allowed})`,
        ]);
      }
    });
    it("lets the listed API clients mount one, and takes the list from policy config", async () => {
      const prometheus = resource(k8s.statefulSet, {
        kind: "StatefulSet", metadata: { name: "prometheus", namespace: "monitoring" },
        spec: { template: { spec: { ...hardenedPodSpec(), automountServiceAccountToken: true } } },
      });
      assert.deepEqual(await messages(policies.apiTokenOnlyForApiClients, prometheus), []);
      const grafana = deployment((x) => (x.spec.template.spec.automountServiceAccountToken = true));
      const config = { "k8s-api-token-only-for-api-clients": { apiClients: [{ kind: "Deployment", namespace: "monitoring", name: "grafana" }] } };
      assert.deepEqual(await messages(policies.apiTokenOnlyForApiClients, grafana, config), []);
    });
  });
});

describe("policies: Kubernetes networking, namespaces and config", () => {
  function ingress(tls: Json[], hosts: Array<string | undefined>): RecordedResource {
    return resource(k8s.ingress, {
      kind: "Ingress",
      metadata: { name: "ui", namespace: "monitoring" },
      spec: { tls, rules: hosts.map((host) => ({ ...(host ? { host } : {}), http: { paths: [] } })) },
    });
  }

  it("k8s-ingress-tls: every host covered, wildcards cover one label", async () => {
    const ok = ingress([{ hosts: ["grafana.example.org", "*.obs.example.org"], secretName: "tls" }], ["grafana.example.org", "jaeger.obs.example.org"]);
    assert.deepEqual(await messages(policies.ingressTls, ok), []);
    const bad = ingress([{ hosts: ["*.obs.example.org"] }], ["a.b.obs.example.org", undefined]);
    assert.deepEqual(await messages(policies.ingressTls, bad), [
      'spec.rules[0].host "a.b.obs.example.org" is not covered by spec.tls[].hosts ["*.obs.example.org"]',
      "spec.rules[1].host is unset; must be set so spec.tls can cover it",
    ]);
    const noTls = ingress([], ["grafana.example.org"]);
    assert.deepEqual(await messages(policies.ingressTls, noTls), ['spec.rules[0].host "grafana.example.org" is not covered by spec.tls[].hosts []']);
  });

  it("k8s-no-external-services: ClusterIP passes, LoadBalancer only when allow-listed", async () => {
    const service = (type?: string) =>
      resource(k8s.service, { kind: "Service", metadata: { name: "grafana", namespace: "monitoring" }, spec: { ...(type ? { type } : {}), ports: [] } });
    assert.deepEqual(await messages(policies.noExternalServices, service()), []);
    assert.deepEqual(await messages(policies.noExternalServices, service("LoadBalancer")), [
      'spec.type is "LoadBalancer"; must be ClusterIP unless monitoring/grafana is in allowedServices',
    ]);
    const config = { "k8s-no-external-services": { allowedServices: ["monitoring/grafana"] } };
    assert.deepEqual(await messages(policies.noExternalServices, service("NodePort"), config), []);
  });

  describe("k8s-namespace-pod-security", () => {
    const namespace = (name: string, levels: Record<string, string>) =>
      resource(k8s.namespace, {
        kind: "Namespace",
        metadata: { name, labels: Object.fromEntries(Object.entries(levels).map(([m, l]) => [`pod-security.kubernetes.io/${m}`, l])) },
      });
    const restricted = { enforce: "restricted", audit: "restricted", warn: "restricted" };
    it("requires restricted everywhere except the exempt log-agents namespace's enforce label", async () => {
      assert.deepEqual(await messages(policies.namespacePodSecurity, namespace("monitoring", restricted)), []);
      assert.deepEqual(await messages(policies.namespacePodSecurity, namespace("log-agents", { ...restricted, enforce: "privileged" })), []);
    });
    it("rejects a lower enforce level outside the exemptions and missing audit/warn labels", async () => {
      assert.deepEqual(await messages(policies.namespacePodSecurity, namespace("monitoring", { enforce: "baseline", warn: "restricted" })), [
        'metadata.labels["pod-security.kubernetes.io/enforce"] is "baseline"; must be "restricted" (only exemptNamespaces may enforce a lower level)',
        'metadata.labels["pod-security.kubernetes.io/audit"] is unset; must be "restricted"',
      ]);
      assert.deepEqual(await messages(policies.namespacePodSecurity, namespace("log-agents", { audit: "restricted", warn: "restricted" })), [
        'metadata.labels["pod-security.kubernetes.io/enforce"] is unset; must be one of "privileged", "baseline", "restricted"',
      ]);
    });
  });

  it("k8s-no-wildcard-rbac", async () => {
    const role = (rules: Json[]) => resource(k8s.clusterRole, { kind: "ClusterRole", metadata: { name: "discovery" }, rules });
    const discovery = { apiGroups: [""], resources: ["pods", "endpoints", "services"], verbs: ["get", "list", "watch"] };
    assert.deepEqual(await messages(policies.noWildcardRbac, role([discovery])), []);
    assert.deepEqual(await messages(policies.noWildcardRbac, role([discovery, { apiGroups: ["*"], resources: ["*"], verbs: ["get"] }])), [
      'rules[1].resources contains "*"; must list only what the role needs',
    ]);
    const binding = (name: string) =>
      resource(k8s.clusterRoleBinding, { kind: "ClusterRoleBinding", roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name }, subjects: [] });
    assert.deepEqual(await messages(policies.noWildcardRbac, binding("discovery")), []);
    assert.deepEqual(await messages(policies.noWildcardRbac, binding("cluster-admin")), [
      'roleRef.name is "cluster-admin"; must be a role that lists only what its subjects need',
    ]);
  });

  describe("k8s-configmap-no-credentials", () => {
    const configMap = (data: Json) => resource(k8s.configMap, { kind: "ConfigMap", metadata: { name: "cfg", namespace: "monitoring" }, data });
    it("accepts file and env references to credentials", async () => {
      const alertmanager = [
        "global:",
        "  smtp_auth_password_file: /etc/alertmanager/secrets/smtp-password",
        "receivers:",
        "  - name: slack",
        "    slack_configs:",
        "      - api_url_file: /etc/alertmanager/secrets/slack-webhook-url",
        "        send_resolved: true",
      ].join("\n");
      const grafana = "secureJsonData:\n  password: $__file{/etc/secrets/pg-password}\n  token: ${GF_TOKEN}\n";
      assert.deepEqual(await messages(policies.configMapNoCredentials, configMap({ "alertmanager.yml": alertmanager, "ds.yaml": grafana, "auth_enabled": "false" })), []);
    });
    it("rejects literal credentials, known token formats and leaked Pulumi secrets, without echoing them", async () => {
      const data = {
        "grafana.ini": "[security]\nadmin_user = admin\nadmin_password = hunter2\n",
        "loki.yaml": "storage:\n  s3:\n    access_key_id: AKIAABCDEFGHIJKLMNOP\n",
        "api-token": "s3cr3t-value",
        "alertmanager.yml": "[secret]",
      };
      const found = await messages(policies.configMapNoCredentials, configMap(data));
      const allowed = "must come from a Secret (mount it as a file and reference it, e.g. *_file: /path, ${VAR} or $__file{/path})";
      assert.deepEqual(found, [
        `ConfigMap monitoring/cfg data["grafana.ini"] at line 3 contains a literal value for "admin_password"; ${allowed}`,
        `ConfigMap monitoring/cfg data["loki.yaml"] at storage.s3.access_key_id contains an AWS access key ID; ${allowed}`,
        `ConfigMap monitoring/cfg data["api-token"] contains a literal value for "api-token"; ${allowed}`,
        `ConfigMap monitoring/cfg data["alertmanager.yml"] contains a Pulumi secret value; ${allowed}`,
      ]);
      assert.ok(found.every((m) => !m.includes("hunter2") && !m.includes("AKIA") && !m.includes("s3cr3t")));
    });
    it("parses JSON and YAML: block scalars, documents embedded in strings, flow style, comments and binaryData", async () => {
      const data = {
        "slos.json": JSON.stringify({ exporter: { apiKey: "9f8e7d6c5b4a39281706", url: "https://x" } }),
        "loki.yaml": "storage:\n  s3: { secret_access_key: abcdEFGH1234 }\n",
        "ds.yaml": "datasources:\n  - name: pg\n    jsonData: |\n      {\"token\": \"tok-123456\"}\n",
        "notes.yaml": "a: >\n  ghp_abcdefghijklmnopqrstuvwxyz0123456789AB\n# password: hunter2\n",
        "multi.yaml": "a: 1\n---\nb:\n  password: 42\n",
      };
      const binary = { "env.json": Buffer.from('{"db":{"secret":"hunter2hunter2"}}').toString("base64") };
      const found = await messages(policies.configMapNoCredentials, resource(k8s.configMap, { kind: "ConfigMap", metadata: { name: "cfg", namespace: "monitoring" }, data, binaryData: binary }));
      assert.deepEqual(found.map((m) => m.replace(/; must come from a Secret.*$/, "")), [
        'ConfigMap monitoring/cfg data["slos.json"] at exporter.apiKey contains a literal value for "apiKey"',
        'ConfigMap monitoring/cfg data["loki.yaml"] at storage.s3.secret_access_key contains a literal value for "secret_access_key"',
        'ConfigMap monitoring/cfg data["ds.yaml"] at datasources[0].jsonData.token contains a literal value for "token"',
        'ConfigMap monitoring/cfg data["notes.yaml"] at a contains a GitHub token',
        'ConfigMap monitoring/cfg data["notes.yaml"] at line 3 (comment) contains a literal value for "password"',
        'ConfigMap monitoring/cfg data["multi.yaml"] at ["(document 2)"].b.password contains a literal value for "password"',
        'ConfigMap monitoring/cfg binaryData["env.json"] (decoded) at db.secret contains a literal value for "secret"',
      ]);
      assert.ok(found.every((m) => !/9f8e7d|abcdEFGH|tok-123|ghp_|hunter2|42/.test(m)));
    });
    it("allows an access key ID as a user name (SES SMTP) but nowhere else", () => {
      assert.deepEqual(findCredentials("      auth_username: AKIAZ3SMTPEXAMPLE123"), []);
      assert.deepEqual(findCredentials("smtp_user = AKIAZ3SMTPEXAMPLE123"), []);
      assert.deepEqual(findCredentials("aws_access_key_id: AKIAZ3SMTPEXAMPLE123"), [{ line: 1, what: "an AWS access key ID" }]);
      assert.deepEqual(findCredentials("url: https://AKIAZ3SMTPEXAMPLE123@example.com"), [{ line: 1, what: "an AWS access key ID" }]);
    });
    it("recognises URLs with passwords and Slack webhooks but not URLs with placeholders", () => {
      assert.deepEqual(findCredentials("url: postgres://grafana:pa55@db:5432/grafana"), [{ line: 1, what: "a URL with an embedded password" }]);
      assert.deepEqual(findCredentials("url: postgres://grafana:${DB_PASSWORD}@db:5432/grafana"), []);
      assert.deepEqual(findCredentials("api_url: https://hooks.slack.com/services/T000/B000/XXXX"), [{ line: 1, what: "a Slack webhook URL" }]);
    });
  });
});

describe("policies: every type that carries a pod spec", () => {
  it("covers every pod-carrying kind @pulumi/kubernetes can register, with its Patch and List variants", () => {
    const { readdirSync, readFileSync } = require("node:fs") as typeof import("node:fs");
    const path = require("node:path") as typeof import("node:path");
    const root = path.dirname(require.resolve("@pulumi/kubernetes/package.json"));
    const kinds = /:(Pod|PodTemplate|ReplicationController|Deployment|StatefulSet|DaemonSet|ReplicaSet|Job|CronJob)(Patch|List)?$/;
    const sdkTokens = ["core", "apps", "batch", "extensions"].flatMap((group) =>
      readdirSync(path.join(root, group), { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .flatMap((d) => readdirSync(path.join(root, group, d.name)).filter((f) => f.endsWith(".js")).map((f) => readFileSync(path.join(root, group, d.name, f), "utf8")))
        .flatMap((js) => [...js.matchAll(/__pulumiType = '([^']+)'/g)].map((m) => m[1])),
    );
    const podCarriers = sdkTokens.filter((t) => kinds.test(t));
    assert.ok(podCarriers.length >= 60, `found only ${podCarriers.length} pod-carrying tokens`);
    assert.deepEqual(podCarriers.filter((t) => !workloadTypes.includes(t)), []);
    assert.deepEqual(workloadTypes.filter((t) => !sdkTokens.includes(t)), []);
  });

  const privileged = { ...hardenedPodSpec(), containers: [{ ...hardenedContainer("app"), securityContext: { ...hardenedContainer("app").securityContext, privileged: true } }] };
  const cases: Array<[string, Json, string]> = [
    [k8s.pod, { spec: privileged }, "spec.containers[0]"],
    [`${k8s.pod}Patch`, { spec: privileged }, "spec.containers[0]"],
    [k8s.podTemplate, { template: { spec: privileged } }, "template.spec.containers[0]"],
    [`${k8s.deployment}Patch`, { spec: { template: { spec: privileged } } }, "spec.template.spec.containers[0]"],
    ["kubernetes:apps/v1beta2:StatefulSetPatch", { spec: { template: { spec: privileged } } }, "spec.template.spec.containers[0]"],
    ["kubernetes:batch/v1beta1:CronJob", { spec: { jobTemplate: { spec: { template: { spec: privileged } } } } }, "spec.jobTemplate.spec.template.spec.containers[0]"],
    [`${k8s.job}List`, { items: [{ spec: { template: { spec: hardenedPodSpec() } } }, { spec: { template: { spec: privileged } } }] }, "items[1].spec.template.spec.containers[0]"],
  ];
  for (const [type, inputs, where] of cases) {
    it(`checks the pod spec of ${type.split(":").slice(1).join(":")}`, async () => {
      assert.deepEqual(await messages(policies.noPrivilegedContainers, resource(type, { kind: "X", metadata: { name: "x", namespace: "monitoring" }, ...inputs })), [
        `${where} "app": securityContext.privileged is true; must be false or unset`,
      ]);
    });
  }

  it("leaves a patch that does not touch the pod alone, and holds one that does to the full rules", async () => {
    const scale = resource(`${k8s.deployment}Patch`, { kind: "Deployment", metadata: { name: "grafana", namespace: "monitoring" }, spec: { replicas: 3 } });
    assert.deepEqual(await messages(policies.apiTokenOnlyForApiClients, scale), []);
    const image = resource(`${k8s.deployment}Patch`, { kind: "Deployment", metadata: { name: "grafana", namespace: "monitoring" }, spec: { template: { spec: { containers: [{ name: "grafana", image: "grafana/grafana:11.2.1" }] } } } });
    assert.deepEqual(await messages(policies.readOnlyRootFilesystem, image), ['spec.template.spec.containers[0] "grafana": securityContext.readOnlyRootFilesystem is unset; must be true']);
  });
});

describe("k8s-rbac-least-privilege", () => {
  const clusterRole = (name: string, rules: Json[], labels: Json = {}) =>
    resource(k8s.clusterRole, { kind: "ClusterRole", metadata: { name, labels }, rules }, name);
  const discovery = [
    { apiGroups: [""], resources: ["pods", "endpoints", "services"], verbs: ["get", "list", "watch"] },
    { apiGroups: [""], resources: ["nodes"], verbs: ["list", "watch"] },
    { apiGroups: [""], resources: ["nodes/metrics"], verbs: ["get"] },
  ];
  const allowedDiscovery = 'allowed for ClusterRole "monitoring-prometheus-discovery": get, list, watch on pods (core), endpoints (core), services (core); list, watch on nodes (core); get on nodes/metrics (core)';

  it("accepts each of our roles granting what it may touch, and bindings to them", async () => {
    assert.deepEqual(await messages(rbac.rbacLeastPrivilege, clusterRole("monitoring-prometheus-discovery", discovery)), []);
    const binding = resource(k8s.clusterRoleBinding, {
      kind: "ClusterRoleBinding",
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "tracing-otel-agent" },
      subjects: [{ kind: "ServiceAccount", name: "otel-agent", namespace: "tracing" }],
    });
    assert.deepEqual(await messages(rbac.rbacLeastPrivilege, binding), []);
  });

  it("names Secrets, exec, proxy, escalate/bind/impersonate and anything else beyond the role's allowance", async () => {
    const broader = [...discovery, { apiGroups: [""], resources: ["secrets", "pods/exec", "nodes/proxy"], verbs: ["get"] }, { apiGroups: ["apps"], resources: ["deployments"], verbs: ["patch"] }];
    assert.deepEqual(await messages(rbac.rbacLeastPrivilege, clusterRole("monitoring-prometheus-discovery", broader)), [
      'ClusterRole "monitoring-prometheus-discovery" rules[3] grants get on secrets (core), pods/exec (core), nodes/proxy (core) (reads or changes Secrets, i.e. credentials; exec runs commands in containers; proxy reaches nodes, pods or services past the API server\'s authorization); ' +
        allowedDiscovery,
      `ClusterRole "monitoring-prometheus-discovery" rules[4] grants patch on deployments (apps); ${allowedDiscovery}`,
    ]);
    const unknown = clusterRole("helper", [{ apiGroups: [""], resources: ["users"], verbs: ["impersonate"] }], { "rbac.authorization.k8s.io/aggregate-to-edit": "true" });
    assert.deepEqual(await messages(rbac.rbacLeastPrivilege, unknown), [
      'ClusterRole "helper" metadata.labels["rbac.authorization.k8s.io/aggregate-to-edit"] is "true": its rules would be added to every role aggregating "edit"; must not be set',
      'ClusterRole "helper" rules[0] grants impersonate on users (core) (impersonate lets it act as other users, groups or service accounts); ClusterRole "helper" is not one of the configured roles (ClusterRole "monitoring-prometheus-discovery", ClusterRole "log-agents-log-agent", ClusterRole "tracing-otel-agent"); add it to roles with what it needs',
    ]);
  });

  it("allows what the config lists (a Role in its namespace reading one Secret kind) and flags bindings to other roles or everyone", async () => {
    const role = resource(k8s.role, { kind: "Role", metadata: { name: "reader", namespace: "logging" }, rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["get"] }] });
    const config = { "k8s-rbac-least-privilege": { roles: [{ kind: "Role", name: "reader", namespace: "logging", rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["get"] }] }] } } as PolicyPackConfig;
    assert.deepEqual(await messages(rbac.rbacLeastPrivilege, role, config), []);
    const binding = resource(k8s.roleBinding, {
      kind: "RoleBinding",
      metadata: { name: "b", namespace: "monitoring" },
      roleRef: { kind: "ClusterRole", name: "edit" },
      subjects: [{ kind: "Group", name: "system:authenticated" }],
    });
    assert.deepEqual(await messages(rbac.rbacLeastPrivilege, binding, config), [
      'roleRef is ClusterRole "edit"; must be one of the configured roles (Role "logging/reader")',
      'subjects[0] is Group "system:authenticated" (every authenticated user); must name the service accounts that need the role',
    ]);
  });
});
