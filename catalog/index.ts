/**
 * The service catalog and the keys derived from it. The keys are computed when this module loads, so an entry must
 * be listed in `services/index.ts` before anything imports this module.
 */
import { serviceCatalog } from "./services";

export { serviceCatalog } from "./services";
export { defaultServiceNames, defineService, type SamplingDefaults, type ServiceEntry } from "./service";
export { formatLe, type ContractMetric, type CounterMetric, type HistogramMetric, type LabelValues } from "./contract";

/** A catalog key: the `service` label value of every SLO series and alert. */
export type ServiceKey = (typeof serviceCatalog)[number]["key"];

/** The catalog's keys, in display order. */
export const serviceKeys = serviceCatalog.map((entry) => entry.key) as readonly ServiceKey[] as readonly [ServiceKey, ...ServiceKey[]];
