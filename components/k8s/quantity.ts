/**
 * Kubernetes resource quantities, parsed the way the API server reads them, so config validation and the render
 * summary agree with what the scheduler will see.
 */

const binary: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const decimal: Record<string, number> = { m: 1e-3, "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

const quantityPattern = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$/;

/** Parses a quantity such as `500m`, `2`, `512Mi` or `1G` into its base unit (cores or bytes). */
export function parseQuantity(value: string): number {
  const match = quantityPattern.exec(value);
  if (!match) throw new Error(`"${value}" is not a Kubernetes quantity (e.g. 500m, 2, 512Mi, 10Gi)`);
  const suffix = match[2] ?? "";
  return Number(match[1]) * (binary[suffix] ?? decimal[suffix]);
}

/** True when `value` parses as a quantity. */
export function isQuantity(value: string): boolean {
  return quantityPattern.test(value);
}

/** Formats bytes as GiB with two decimals, for summaries. */
export function formatGiB(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(2)}Gi`;
}
