import { stringify } from "yaml";

/**
 * Serialises a typed document for a Go consumer (Prometheus, Alertmanager, Loki, the collector).
 *
 * Those tools parse YAML 1.1, where unquoted `no`, `on`, `y` are booleans and `09:00` may be read as a
 * sexagesimal number; emitting as YAML 1.1 makes the `yaml` library quote every such string, so a
 * label value or a time of day survives the round trip. Long PromQL expressions are never folded.
 */
export function toGoYaml(document: unknown): string {
  return stringify(document, { version: "1.1", lineWidth: 0, aliasDuplicateObjects: false });
}
