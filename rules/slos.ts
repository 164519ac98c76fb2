/**
 * The SLO specs of every catalogued service, gathered from the catalog entries. Metric names come from each entry's
 * metric contract; every spec here is validated by `validateSlos` when the rules are built.
 */
import { serviceCatalog } from "../catalog";
import type { SloSpec } from "./slo";

/** The SLO specs, in the order dashboards list them: services in catalog order, each service's SLOs in entry order. */
export const sloSpecs: readonly SloSpec[] = serviceCatalog.flatMap((entry) => entry.slos.map((slo): SloSpec => ({ service: entry.key, ...slo })));
