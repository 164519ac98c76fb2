/**
 * Kubernetes OpenAPI schema validation with `kubernetes-models`: each kind's model carries the upstream schema and
 * validates an object against it. The package is ESM-only, so it is loaded with a real dynamic import.
 */
type ModelClass = new (data: Record<string, unknown>) => { validate(): void };

const cache = new Map<string, Promise<ModelClass>>();

/** `kubernetes-models/<group>/<version>/<Kind>` for an object's apiVersion and kind (core group: `v1/<Kind>`). */
export function modelPath(apiVersion: string, kind: string): string {
  return `kubernetes-models/${apiVersion}/${kind}`;
}

export function loadModel(apiVersion: string, kind: string): Promise<ModelClass> {
  const key = modelPath(apiVersion, kind);
  if (!cache.has(key)) {
    cache.set(
      key,
      (import(key) as Promise<Record<string, ModelClass>>).then((m) => {
        if (!m[kind]) throw new Error(`${key} exports no ${kind}`);
        return m[kind];
      }),
    );
  }
  return cache.get(key)!;
}

/** Validates one object; returns the schema error text, or undefined when it is valid. */
export async function schemaError(object: Record<string, any>): Promise<string | undefined> {
  const Model = await loadModel(object.apiVersion, object.kind);
  try {
    new Model(object).validate();
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
