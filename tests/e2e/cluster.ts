/**
 * A real Kubernetes control plane on loopback, from the toolchain's engine peers: etcd, kube-apiserver and
 * kube-controller-manager at one release, with certificates the test makes with openssl. Nothing listens off
 * loopback; everything started here is stopped by `stop()`.
 */
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { enginePeers } from "../../config/versions";
import { go } from "../../toolchain/go";
import { promisify } from "node:util";
import { eventually, freePort, startPeer, tempDir, type Peer } from "../../toolchain/run";

const run = promisify(execFile);

export interface ApiResponse {
  status: number;
  body: any;
}

export interface Cluster {
  url: string;
  /** A kubeconfig with the admin client certificate (system:masters). */
  kubeconfig: string;
  /** A request to the API server as the admin. */
  api(method: string, path: string, body?: unknown, contentType?: string): Promise<ApiResponse>;
  /** The REST path of an object (collection path when `name` is omitted), resolved through API discovery. */
  pathOf(apiVersion: string, kind: string, namespace: string | undefined, name?: string): Promise<string>;
  logs(): string;
  stop(): Promise<void>;
}

/**
 * The Stage definitions kwok plays on its nodes and pods, from the kwok module itself: nodes become Ready and keep
 * their lease, pods become Running and Ready. (kwokctl passes these; the bare binary has none.)
 */
async function kwokStages(): Promise<string> {
  const kwok = enginePeers.kwok;
  const out = await go(["mod", "download", "-json", `${kwok.module}@${kwok.version}`], { cwd: tmpdir(), subject: kwok, step: "locating kwok's stages", log: () => {} });
  const dir = (JSON.parse(out) as { Dir: string }).Dir;
  const files = ["node/fast/node-initialize.yaml", "node/heartbeat-with-lease/node-heartbeat-with-lease.yaml", "pod/fast/pod-ready.yaml", "pod/fast/pod-complete.yaml", "pod/fast/pod-delete.yaml"];
  return files.map((f) => readFileSync(join(dir, "kustomize", "stage", f), "utf8")).join("\n---\n");
}

async function openssl(dir: string, ...args: string[]): Promise<void> {
  await run("openssl", args, { cwd: dir });
}

/** CA, API server serving certificate, admin client certificate and the service-account signing key. */
async function makeCertificates(dir: string): Promise<void> {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"];
  await openssl(dir, "req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=e2e-ca");
  const signed = async (name: string, subject: string, ext: string) => {
    writeFileSync(join(dir, `${name}.ext`), ext);
    await openssl(dir, "req", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject);
    await openssl(dir, "x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1", "-extfile", `${name}.ext`, "-out", `${name}.crt`);
  };
  await signed("apiserver", "/CN=kube-apiserver", "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n");
  await signed("admin", "/O=system:masters/CN=e2e-admin", "extendedKeyUsage=clientAuth\n");
  await openssl(dir, "genrsa", "-out", "sa.key", "2048");
  await openssl(dir, "rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub");
}

/** Fake nodes for the scheduler to place pods on; kwok marks their pods Running and Ready. */
export interface FakeNodes {
  count: number;
  /** Zones the nodes are spread over, round-robin (`topology.kubernetes.io/zone`). */
  zones: string[];
}

/**
 * Starts etcd, kube-apiserver and kube-controller-manager, and with `nodes` also kube-scheduler and kwok with that many
 * fake nodes; resolves once the API server answers /readyz (and every node is Ready).
 */
export async function startCluster(nodes?: FakeNodes): Promise<Cluster> {
  const tmp = await tempDir("e2e-cluster-");
  const dir = tmp.dir;
  const peers: Peer[] = [];
  const stop = async () => {
    for (const p of peers.reverse()) await p.stop();
    await tmp.remove();
  };
  try {
    await makeCertificates(dir);
    const [etcdClient, etcdPeer, apiPort, kcmPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    peers.push(startPeer("etcd", "etcd", [
      `--data-dir=${join(dir, "etcd")}`, "--name=e2e",
      `--listen-client-urls=http://127.0.0.1:${etcdClient}`, `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`, `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=e2e=http://127.0.0.1:${etcdPeer}`, "--listen-metrics-urls=",
    ]));
    const url = `https://127.0.0.1:${apiPort}`;
    peers.push(startPeer("kube-apiserver", "kube-apiserver", [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`, "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
      `--secure-port=${apiPort}`, `--tls-cert-file=${join(dir, "apiserver.crt")}`, `--tls-private-key-file=${join(dir, "apiserver.key")}`,
      `--client-ca-file=${join(dir, "ca.crt")}`, `--service-account-key-file=${join(dir, "sa.pub")}`,
      `--service-account-signing-key-file=${join(dir, "sa.key")}`, "--service-account-issuer=https://kubernetes.default.svc",
      "--service-cluster-ip-range=10.96.0.0/16", "--authorization-mode=Node,RBAC", "--endpoint-reconciler-type=none",
    ]));
    const kubeconfig = join(dir, "admin.kubeconfig");
    writeFileSync(kubeconfig, JSON.stringify({
      apiVersion: "v1", kind: "Config", "current-context": "e2e",
      clusters: [{ name: "e2e", cluster: { server: url, "certificate-authority": join(dir, "ca.crt") } }],
      users: [{ name: "admin", user: { "client-certificate": join(dir, "admin.crt"), "client-key": join(dir, "admin.key") } }],
      contexts: [{ name: "e2e", context: { cluster: "e2e", user: "admin" } }],
    }));
    const tls = { ca: readFileSync(join(dir, "ca.crt")), cert: readFileSync(join(dir, "admin.crt")), key: readFileSync(join(dir, "admin.key")) };
    const api = (method: string, path: string, body?: unknown, contentType = "application/json"): Promise<ApiResponse> =>
      new Promise((resolve, reject) => {
        const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
        const req = request(`${url}${path}`, { method, ...tls, headers: { accept: "application/json", ...(payload ? { "content-type": contentType } : {}) } }, (res) => {
          let text = "";
          res.setEncoding("utf8").on("data", (c: string) => (text += c)).on("end", () => {
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              // Plain text (e.g. /readyz).
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
        });
        req.once("error", reject);
        req.end(payload);
      });
    await eventually("kube-apiserver ready", 60_000, async () => ((await api("GET", "/readyz")).status === 200 ? true : undefined), peers);
    peers.push(startPeer("kube-controller-manager", "kube-controller-manager", [
      `--kubeconfig=${kubeconfig}`, "--leader-elect=false", "--use-service-account-credentials",
      `--service-account-private-key-file=${join(dir, "sa.key")}`, `--root-ca-file=${join(dir, "ca.crt")}`,
      `--cluster-signing-cert-file=${join(dir, "ca.crt")}`, `--cluster-signing-key-file=${join(dir, "ca.key")}`,
      "--bind-address=127.0.0.1", `--secure-port=${kcmPort}`, "--controllers=*,-nodeipam",
      // kwok renews node leases less often than a kubelet; a node judged unreachable would have every pod marked
      // NotReady for good (no kubelet re-reports them), so the grace period outlasts any test.
      "--node-monitor-grace-period=1h",
    ]));

    if (nodes) {
      const schedulerPort = await freePort();
      peers.push(startPeer("kube-scheduler", "kube-scheduler", [
        `--kubeconfig=${kubeconfig}`, "--leader-elect=false", "--bind-address=127.0.0.1", `--secure-port=${schedulerPort}`,
      ]));
      const stages = join(dir, "kwok-stages.yaml");
      writeFileSync(stages, await kwokStages());
      peers.push(startPeer("kwok", "kwok", [`--kubeconfig=${kubeconfig}`, `--config=${stages}`, "--manage-all-nodes=true"]));
      const capacity = { cpu: "32", memory: "128Gi", pods: "110", "ephemeral-storage": "100Gi" };
      for (let i = 0; i < nodes.count; i++) {
        const name = `kwok-node-${i}`;
        const created = await api("POST", "/api/v1/nodes", {
          apiVersion: "v1",
          kind: "Node",
          metadata: {
            name,
            annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
            labels: {
              "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
              "topology.kubernetes.io/zone": nodes.zones[i % nodes.zones.length], type: "kwok",
            },
          },
          status: { allocatable: capacity, capacity },
        });
        if (created.status !== 201) throw new Error(`creating node ${name}: HTTP ${created.status} ${JSON.stringify(created.body)}`);
      }
      await eventually(`${nodes.count} kwok nodes Ready`, 60_000, async () => {
        const items = (await api("GET", "/api/v1/nodes")).body.items as Record<string, any>[];
        const ready = items.filter((n) => (n.status?.conditions ?? []).some((c: any) => c.type === "Ready" && c.status === "True"));
        return ready.length === nodes.count ? true : undefined;
      }, peers);
    }

    const resources = new Map<string, { name: string; namespaced: boolean }>();
    const pathOf = async (apiVersion: string, kind: string, namespace: string | undefined, name?: string) => {
      const key = `${apiVersion}/${kind}`;
      if (!resources.has(key)) {
        const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
        const list = (await api("GET", base)).body as { resources: { name: string; kind: string; namespaced: boolean }[] };
        const found = list.resources.find((r) => r.kind === kind && !r.name.includes("/"));
        if (!found) throw new Error(`the API server serves no ${kind} in ${apiVersion}`);
        resources.set(key, { name: found.name, namespaced: found.namespaced });
      }
      const r = resources.get(key)!;
      const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      return `${base}${r.namespaced ? `/namespaces/${namespace ?? "default"}` : ""}/${r.name}${name ? `/${name}` : ""}`;
    };
    return { url, kubeconfig, api, pathOf, logs: () => peers.map((p) => `--- ${p.name}\n${p.logs().slice(-3000)}`).join("\n"), stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Cluster-scoped and namespace objects first, so every namespaced object has its namespace. */
const order = (kind: string) => (kind === "Namespace" ? 0 : ["StorageClass", "ClusterRole", "ClusterRoleBinding"].includes(kind) ? 1 : 2);

export interface Applied {
  id: string;
  path: string;
  resourceVersion: string;
  generation?: number;
}

/** Server-side applies `objects` (as field manager `e2e`), namespaces and cluster-scoped objects first. */
export async function applyAll(cluster: Cluster, objects: Record<string, any>[]): Promise<Applied[]> {
  const applied: Applied[] = [];
  for (const o of [...objects].sort((a, b) => order(a.kind) - order(b.kind))) {
    const path = await cluster.pathOf(o.apiVersion, o.kind, o.metadata.namespace, o.metadata.name);
    const r = await cluster.api("PATCH", `${path}?fieldManager=e2e&force=true`, o, "application/apply-patch+yaml");
    const id = `${o.kind} ${o.metadata.namespace ?? "_cluster"}/${o.metadata.name}`;
    assert.ok(r.status === 200 || r.status === 201, `${id}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 600)}`);
    applied.push({ id, path, resourceVersion: r.body.metadata.resourceVersion, generation: r.body.metadata.generation });
  }
  return applied;
}

/**
 * Stands in for the storage a real local cluster provides: each StorageClass the StatefulSets' claim templates name,
 * as a no-provisioner class, and one volume reserved (claimRef) for each claim the StatefulSets will make. Those that
 * exist already are kept, so a changed stack can be provisioned again.
 */
export async function provisionVolumes(cluster: Cluster, objects: Record<string, any>[]): Promise<void> {
  const claims = objects.filter((o) => o.kind === "StatefulSet").flatMap((s) =>
    (s.spec.volumeClaimTemplates ?? []).flatMap((t: any) =>
      Array.from({ length: s.spec.replicas }, (_, i) => ({ name: `${t.metadata.name}-${s.metadata.name}-${i}`, namespace: s.metadata.namespace, template: t }))));
  for (const name of new Set(claims.map((c) => c.template.spec.storageClassName))) {
    const r = await cluster.api("POST", "/apis/storage.k8s.io/v1/storageclasses", {
      apiVersion: "storage.k8s.io/v1", kind: "StorageClass", metadata: { name },
      provisioner: "kubernetes.io/no-provisioner", volumeBindingMode: "WaitForFirstConsumer",
    });
    assert.ok(r.status === 201 || r.status === 409, JSON.stringify(r.body));
  }
  for (const c of claims) {
    const r = await cluster.api("POST", "/api/v1/persistentvolumes", {
      apiVersion: "v1", kind: "PersistentVolume", metadata: { name: `pv-${c.namespace}-${c.name}` },
      spec: {
        // Room for a claim template that grows later (a replaced StatefulSet keeps its claims).
        capacity: { storage: "100Gi" },
        accessModes: c.template.spec.accessModes,
        storageClassName: c.template.spec.storageClassName,
        // Reserved for its claim, as a static volume is: otherwise two claims of one size may race for it.
        claimRef: { namespace: c.namespace, name: c.name },
        hostPath: { path: `/var/lib/e2e/${c.namespace}/${c.name}` },
      },
    });
    assert.ok(r.status === 201 || r.status === 409, JSON.stringify(r.body));
  }
}

/**
 * Stands in for an ingress controller: every Ingress gets a load-balancer address in its status, as the controller
 * of a real cluster writes it, so the provider's await on Ingresses runs to completion. Returns the stop function.
 */
export function writeIngressStatus(cluster: Cluster): () => Promise<void> {
  let running = true;
  const loop = (async () => {
    while (running) {
      const list = await cluster.api("GET", "/apis/networking.k8s.io/v1/ingresses").catch(() => undefined);
      for (const ing of (list?.body?.items ?? []) as Record<string, any>[]) {
        if ((ing.status?.loadBalancer?.ingress ?? []).length > 0) continue;
        const { name, namespace } = ing.metadata;
        await cluster.api("PATCH", `/apis/networking.k8s.io/v1/namespaces/${namespace}/ingresses/${name}/status`,
          { status: { loadBalancer: { ingress: [{ ip: "127.0.0.1" }] } } }, "application/merge-patch+json").catch(() => undefined);
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  })();
  return async () => {
    running = false;
    await loop;
  };
}

/** The Deployments, StatefulSets and DaemonSets of `objects` whose ready replicas are not what they ask for. */
export async function workloadsNotReady(cluster: Cluster, objects: Record<string, any>[], nodes: number): Promise<string[]> {
  const lagging: string[] = [];
  for (const w of objects.filter((o) => ["Deployment", "StatefulSet", "DaemonSet"].includes(o.kind))) {
    const live = (await cluster.api("GET", await cluster.pathOf(w.apiVersion, w.kind, w.metadata.namespace, w.metadata.name))).body;
    const [ready, wanted] = w.kind === "DaemonSet"
      ? [live.status?.numberReady ?? 0, nodes]
      : [w.kind === "Deployment" ? live.status?.availableReplicas ?? 0 : live.status?.readyReplicas ?? 0, w.spec.replicas];
    if (ready !== wanted) lagging.push(`${w.kind} ${w.metadata.namespace}/${w.metadata.name}: ${ready}/${wanted} ready`);
  }
  return lagging;
}
