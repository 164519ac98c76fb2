import { RecordedResource, SynthResult, synthStack } from "../../scripts/synth";
import { readStackFile } from "../../scripts/synth/stack-files";
import { generatedDocuments, kubernetesObjects } from "../../scripts/synth/write";
import { defaultProjectDir } from "../../scripts/synth";

/** A stack evaluated on the mock runtime, with finders for its recorded resources. */
export class Rendered {
  constructor(readonly result: SynthResult) {}

  get resources(): RecordedResource[] {
    return this.result.resources;
  }

  /** Every resource of a Pulumi type. */
  ofType(type: string): RecordedResource[] {
    return this.resources.filter((r) => r.type === type);
  }

  /** Every Kubernetes object of a kind (the object as sent to the API server). */
  objects(kind?: string): Record<string, any>[] {
    return kubernetesObjects(this.resources).filter((o) => !kind || o.kind === kind);
  }

  /** The one Kubernetes object of a kind and name (and namespace, if given); throws naming what exists otherwise. */
  object(kind: string, name: string, namespace?: string): Record<string, any> {
    const found = this.objects(kind).filter((o) => o.metadata?.name === name && (!namespace || o.metadata?.namespace === namespace));
    if (found.length !== 1) {
      const have = this.objects(kind).map((o) => `${o.metadata?.namespace ?? ""}/${o.metadata?.name}`);
      throw new Error(`expected one ${kind} ${namespace ?? "*"}/${name}, found ${found.length}; ${kind}s: ${have.join(", ") || "none"}`);
    }
    return found[0];
  }

  /** The recorded resource (with options) behind a Kubernetes object. */
  recordOf(kind: string, name: string, namespace?: string): RecordedResource {
    const object = this.object(kind, name, namespace);
    return this.resources.find((r) => r.inputs === object)!;
  }

  /** Generated documents by their path under `configs/`. */
  configs(): Record<string, string> {
    return generatedDocuments(this.resources);
  }

  /** Pod templates of every workload, with the workload they belong to. */
  podTemplates(): { owner: Record<string, any>; spec: Record<string, any> }[] {
    return this.objects()
      .filter((o) => ["Deployment", "StatefulSet", "DaemonSet", "Job"].includes(o.kind))
      .map((o) => ({ owner: o, spec: o.spec.template.spec }));
  }
}

const cache = new Map<string, Promise<Rendered>>();

/** The committed stack file of `stack`, rendered once per test process (results are shared: do not mutate them). */
export function renderStack(stack: string): Promise<Rendered> {
  if (!cache.has(stack)) cache.set(stack, synthStack({ stack }).then((r) => new Rendered(r)));
  return cache.get(stack)!;
}

/** The plain config values of a committed stack file, as a fresh copy to modify. */
export function stackValues(stack: string): Record<string, any> {
  return structuredClone(readStackFile(defaultProjectDir, stack).values);
}

/** Renders `stack` with its config changed by `edit` (a deep copy is passed in). */
export async function renderWith(stack: string, edit: (values: Record<string, any>) => void, secrets?: Record<string, unknown>): Promise<Rendered> {
  const values = stackValues(stack);
  edit(values);
  return new Rendered(await synthStack({ stack, config: values, secrets }));
}
