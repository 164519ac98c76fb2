import type { Dashboard, DatasourceRef } from "./model";
import { sloOverview } from "./slo-overview";
import { stackHealth } from "./stack-health";

export type { Dashboard } from "./model";

/**
 * Every provisioned dashboard by file name (`<uid>.json`), reading Prometheus through the datasource `uid`.
 * MonitoringCore puts each in its own ConfigMap and Grafana's file provider loads them.
 */
export function buildDashboards(prometheusUid: string): Record<string, Dashboard> {
  const datasource: DatasourceRef = { type: "prometheus", uid: prometheusUid };
  const all = [sloOverview(datasource), stackHealth(datasource)];
  const files: Record<string, Dashboard> = {};
  for (const d of all) {
    const file = `${d.uid}.json`;
    if (file in files) throw new Error(`two dashboards have uid "${d.uid}"; every dashboard needs its own`);
    files[file] = d;
  }
  return files;
}
