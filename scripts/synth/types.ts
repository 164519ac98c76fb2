/** One resource the program registered, as the offline render records it (`out/<stack>/resources.json`). */
export interface RecordedResource {
  /** Pulumi type token, e.g. `kubernetes:apps/v1:StatefulSet`, `aws:s3/bucket:Bucket`. */
  type: string;
  /** Pulumi resource name. */
  name: string;
  /** `urn:pulumi:<stack>::<project>::<parentType$type>::<name>`, as the engine derives it. */
  urn: string;
  /** URN of the parent; the root stack resource has none. */
  parent?: string;
  /** False for ComponentResources. */
  custom: boolean;
  options: {
    protect: boolean;
    retainOnDelete: boolean;
    dependsOn: string[];
    ignoreChanges: string[];
    provider?: string;
  };
  /**
   * Inputs as sent to the provider. Secret values are replaced by `"[secret]"` and provider-computed values (ARNs,
   * ids, endpoints) by `"[computed]"`; inside a longer string only the computed part is replaced.
   */
  inputs: Record<string, any>;
}

/** The result of evaluating the program for one stack on the mock runtime. */
export interface SynthResult {
  stack: string;
  project: string;
  environment: string;
  resources: RecordedResource[];
  /** Stack outputs, redacted like inputs. */
  outputs: Record<string, unknown>;
  /** Secret config keys that had no value the render could read, filled with offline placeholders. */
  placeholderSecrets: string[];
}

export const SECRET = "[secret]";
export const COMPUTED = "[computed]";
