import { strict as assert } from "assert";
import { ConfigError, validateStackConfig } from "../config";
import { maxRetentionShare, minRetentionDays, monitoring, nodeCidrProblem, retentionSizeBytes } from "../config/monitoring";
import { parseQuantity } from "../components/k8s/quantity";
import { stackValues } from "./support/harness";

/** Node subnets for sections that are not about the kubelet job, which requires them by default. */
const nodeCidrs = ["10.20.0.0/19", "10.20.32.0/19"];
const required = "the node subnets' CIDRs, such as [10.10.0.0/19, 10.10.32.0/19], while the kubelet job is enabled (the default); or set enabled: false";

/**
 * Validates the staging stack file with its monitoring section replaced (the kubelet job's node CIDRs given unless
 * the section has its own `kubelet`); returns the problems, or [] if valid.
 */
function problems(section: Record<string, unknown>): { path: string; value: unknown; allowed: string }[] {
  const values = stackValues("staging");
  values.monitoring = { kubelet: { nodeCidrs }, ...section };
  try {
    validateStackConfig(values);
    return [];
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return e.problems.filter((p) => p.path.startsWith("monitoring."));
  }
}

/** The prod stack's Grafana database: RDS PostgreSQL. */
const postgres = stackValues("prod").monitoring.grafana.database;

describe("config: monitoring section", () => {
  it("parses from the node CIDRs alone to the production sizing, with Grafana on one SQLite replica and verified kubelet scrapes", () => {
    const m = monitoring.parse({ kubelet: { nodeCidrs } });
    assert.deepEqual(m.kubelet, { enabled: true, verifyTls: true, nodeCidrs });
    assert.equal(m.prometheus.replicas, 2);
    assert.equal(m.prometheus.storage, "100Gi");
    assert.deepEqual(m.prometheus.retention, { time: "31d", size: "85GB" });
    assert.equal(m.alertmanager.replicas, 2);
    assert.deepEqual(m.grafana.database, { kind: "sqlite", storage: "20Gi" });
    assert.equal(m.grafana.replicas, 1);
  });

  it("defaults Grafana to 2 replicas on postgres, TLS required, and derives nothing else", () => {
    const m = monitoring.parse({ kubelet: { nodeCidrs }, grafana: { database: postgres } });
    assert.equal(m.grafana.replicas, 2);
    assert.equal(m.grafana.database.kind === "postgres" && m.grafana.database.tls.mode, "require");
  });

  it("rejects more than one Grafana replica on sqlite", () => {
    assert.deepEqual(problems({ grafana: { replicas: 2 } }), [
      {
        path: "monitoring.grafana.replicas",
        value: 2,
        allowed: "1 while database.kind is sqlite (each replica would have its own SQLite file); use database.kind postgres for more",
      },
    ]);
  });

  it("rejects a retention size that leaves no room for the WAL and compactions", () => {
    assert.deepEqual(problems({ prometheus: { storage: "50Gi", retention: { size: "45GB" } } }), [
      {
        path: "monitoring.prometheus.retention.size",
        value: "45GB",
        allowed: "at most 42GB (85% of storage 50Gi); the WAL and compactions need the rest",
      },
    ]);
  });

  it("rejects a retention size without a Prometheus unit and a retention time that is no duration", () => {
    assert.deepEqual(problems({ prometheus: { retention: { size: "85Gi" } } }), [
      { path: "monitoring.prometheus.retention.size", value: "85Gi", allowed: "a Prometheus size with a unit of B, KB, MB, GB, TB, PB or EB, such as 85GB" },
    ]);
    assert.deepEqual(problems({ prometheus: { storage: "100GB", retention: { time: "15 days" } } }).map((p) => p.path), [
      "monitoring.prometheus.storage",
      "monitoring.prometheus.retention.time",
    ]);
  });

  it("rejects a retention time shorter than the longest SLO period plus a day, the history its error budget averages", () => {
    const allowed = "at least 31d: the 30d SLO error budget averages 30d of samples (plus a day of margin), and shorter retention computes it over less history";
    // The values of the stack files before the 30-day budget was checked, and the period itself without the margin.
    for (const time of ["7d", "15d", "30d", "743h"]) {
      assert.deepEqual(problems({ prometheus: { storage: "50Gi", retention: { time, size: "40GB" } } }), [
        { path: "monitoring.prometheus.retention.time", value: time, allowed },
      ], time);
    }
    for (const time of ["31d", "744h", "4w3d", "90d"]) {
      assert.deepEqual(problems({ prometheus: { storage: "50Gi", retention: { time, size: "40GB" } } }), [], time);
    }
    assert.equal(minRetentionDays, 31);
  });

  it("keeps the retention defaults within the 85% share of the default volume", () => {
    const { prometheus } = monitoring.parse({ kubelet: { nodeCidrs } });
    assert.ok(retentionSizeBytes(prometheus.retention.size) <= maxRetentionShare * parseQuantity(prometheus.storage), `${prometheus.retention.size} of ${prometheus.storage}`);
    assert.deepEqual(problems({}), []);
  });

  it("rejects a PDB that would allow every replica down", () => {
    assert.deepEqual(problems({ alertmanager: { replicas: 2, maxUnavailable: 2 } }), [
      { path: "monitoring.alertmanager.maxUnavailable", value: 2, allowed: "fewer than replicas (2), so a disruption never takes every replica down" },
    ]);
    assert.deepEqual(problems({ grafana: { database: postgres, maxUnavailable: 2 } }), [
      { path: "monitoring.grafana.maxUnavailable", value: 2, allowed: "fewer than replicas (2), so a disruption never takes every replica down" },
    ]);
  });

  it("requires two subnets for Multi-AZ and well-formed AWS ids", () => {
    assert.deepEqual(problems({ grafana: { database: { ...postgres, subnetIds: ["subnet-0a1b2c3d4e5f60718"], vpcId: "vpc-xyz" } } }), [
      { path: "monitoring.grafana.database.vpcId", value: "vpc-xyz", allowed: "a VPC id such as vpc-0a1b2c3d4e5f60718" },
      {
        path: "monitoring.grafana.database.subnetIds",
        value: ["subnet-0a1b2c3d4e5f60718"],
        allowed: "at least two subnets in different Availability Zones (Multi-AZ needs two)",
      },
    ]);
  });

  it("requires a CA bundle ConfigMap for verify-full and an autoscaling ceiling above the initial storage", () => {
    assert.deepEqual(problems({ grafana: { database: { ...postgres, tls: { mode: "verify-full" } } } }), [
      { path: "monitoring.grafana.database.tls.caBundleConfigMap", value: undefined, allowed: "a value of type string" },
    ]);
    assert.deepEqual(problems({ grafana: { database: { ...postgres, allocatedStorageGiB: 200, maxAllocatedStorageGiB: 100 } } }), [
      { path: "monitoring.grafana.database.maxAllocatedStorageGiB", value: 100, allowed: "an integer >= allocatedStorageGiB (200)" },
    ]);
  });

  it("rejects a scrape timeout longer than the interval and unknown keys", () => {
    assert.deepEqual(problems({ scrapeInterval: "15s", scrapeTimeout: "20s" }), [
      { path: "monitoring.scrapeTimeout", value: "20s", allowed: "a duration no longer than scrapeInterval (15s); Prometheus rejects a longer one" },
    ]);
    assert.deepEqual(problems({ prometheus: { retension: "15d" } }), [
      { path: "monitoring.prometheus.retension", value: "15d", allowed: "one of the keys replicas, resources, maxUnavailable, storage, retention" },
    ]);
  });

  it("requires the node CIDRs while the kubelet job is enabled, which it is by default", () => {
    assert.deepEqual(problems({ kubelet: {} }), [{ path: "monitoring.kubelet.nodeCidrs", value: undefined, allowed: required }]);
    assert.deepEqual(problems({ kubelet: { enabled: true, verifyTls: false } }), [{ path: "monitoring.kubelet.nodeCidrs", value: undefined, allowed: required }]);
    assert.deepEqual(problems({ kubelet: { nodeCidrs: [] } }), [{ path: "monitoring.kubelet.nodeCidrs", value: [], allowed: "at least one CIDR" }]);
  });

  it("disables the kubelet job without node CIDRs, and skips TLS verification only when told to", () => {
    assert.deepEqual(monitoring.parse({ kubelet: { enabled: false } }).kubelet, { enabled: false });
    assert.deepEqual(monitoring.parse({ kubelet: { nodeCidrs, verifyTls: false } }).kubelet, { enabled: true, verifyTls: false, nodeCidrs });
  });

  it("rejects kubelet flags that are not booleans, and misspelt keys", () => {
    assert.deepEqual(problems({ kubelet: { nodeCidrs, verifyTls: "false", enabled: "yes" } }), [
      { path: "monitoring.kubelet.enabled", value: "yes", allowed: "true or false (scrape the kubelets; false registers no node permissions, no egress and no job)" },
      { path: "monitoring.kubelet.verifyTls", value: "false", allowed: "true or false (false skips verification of the kubelets' serving certificates; see config/monitoring.ts)" },
    ]);
    assert.deepEqual(problems({ kubelet: { nodeCIDRs: nodeCidrs } }), [
      { path: "monitoring.kubelet.nodeCIDRs", value: nodeCidrs, allowed: "one of the keys enabled, verifyTls, nodeCidrs" },
      { path: "monitoring.kubelet.nodeCidrs", value: undefined, allowed: required },
    ]);
  });

  it("rejects node CIDRs that are malformed, wider than /8 or not a network address, naming each by index", () => {
    assert.deepEqual(problems({ kubelet: { nodeCidrs: ["10.20.0.0/19", "10.20.1.5/19", "0.0.0.0/0", "10.300.0.0/16", "10.20.0.0"] } }), [
      { path: "monitoring.kubelet.nodeCidrs[1]", value: "10.20.1.5/19", allowed: "the block's network address, 10.20.0.0/19: host bits are set" },
      {
        path: "monitoring.kubelet.nodeCidrs[2]",
        value: "0.0.0.0/0",
        allowed: "a prefix of /8 or longer: a wider block includes public addresses, and node subnets are private",
      },
      { path: "monitoring.kubelet.nodeCidrs[3]", value: "10.300.0.0/16", allowed: "an IPv4 CIDR block such as 10.10.0.0/19" },
      { path: "monitoring.kubelet.nodeCidrs[4]", value: "10.20.0.0", allowed: "an IPv4 CIDR block such as 10.10.0.0/19" },
    ]);
  });

  it("checks node CIDRs octet by octet and bit by bit", () => {
    for (const ok of ["10.0.0.0/8", "10.10.0.0/19", "10.10.96.0/20", "172.16.0.0/12", "192.168.1.7/32", "100.64.0.0/10"]) {
      assert.equal(nodeCidrProblem(ok), undefined, ok);
    }
    for (const [bad, problem] of [
      ["10.10.0.0/33", /an IPv4 CIDR block/],
      ["256.0.0.0/8", /an IPv4 CIDR block/],
      ["010.10.0.0/16", /an IPv4 CIDR block/],
      ["10.10.0.0/-1", /an IPv4 CIDR block/],
      [" 10.10.0.0/16", /an IPv4 CIDR block/],
      ["8.0.0.0/7", /a prefix of \/8 or longer/],
      ["10.10.32.0/18", /network address, 10\.10\.0\.0\/18/],
      ["192.168.1.7/31", /network address, 192\.168\.1\.6\/31/],
    ] as const) {
      assert.match(nodeCidrProblem(bad) ?? "accepted", problem, bad);
    }
  });

  it("reads retention sizes in powers of two, as Prometheus does", () => {
    assert.equal(retentionSizeBytes("1KB"), 1024);
    assert.equal(retentionSizeBytes("85GB"), 85 * 2 ** 30);
    assert.throws(() => retentionSizeBytes("85Gi"), /not a Prometheus retention size/);
  });
});
