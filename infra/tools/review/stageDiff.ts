/**
 * One stage's objects at base against head (pure): which were added, removed or changed, with the
 * changed fields (fieldDiff.ts). An object is identified by kind, namespace and name; a ConfigMap
 * renamed by its content hash (`ragstar-config-<hash>`, infra/k8s/configMap.ts) is paired with its
 * predecessor and reported as replaced under a new name, with the fields that changed.
 */
import type { KubernetesObject } from "../../k8s/kubernetesObject";
import { SECRET_MARKER } from "../render/stackFile";
import { diffFields, type FieldChange } from "./fieldDiff";

/** What happened to one object between base and head. */
export interface ObjectChange {
    kind: string;
    name: string;
    namespace?: string;
    status: "added" | "removed" | "changed" | "renamed";
    /** The base name of a `renamed` object. */
    previousName?: string;
    /** Changed fields (empty for added and removed objects). */
    fields: FieldChange[];
}

/** `Kind namespace/name` as the report names an object. */
export function objectLabel(object: Pick<ObjectChange, "kind" | "name" | "namespace">): string {
    return `${object.kind} ${object.namespace ? `${object.namespace}/` : ""}${object.name}`;
}

const identity = (o: KubernetesObject) => `${o.kind}\0${o.metadata.namespace ?? ""}\0${o.metadata.name}`;

/** A name with its content-hash suffix removed (`ragstar-config-79f93c5c0b` → `ragstar-config`), or undefined when it has none. */
function hashStem(name: string): string | undefined {
    return /^(.+)-[0-9a-f]{8,}$/.exec(name)?.[1];
}

/** A Secret's values never reach a report, even if a render left one in clear: every leaf under data and stringData is the marker. */
function masked(object: KubernetesObject): KubernetesObject {
    if (object.kind !== "Secret") return object;
    const copy = { ...(object as KubernetesObject & Record<string, unknown>) };
    for (const field of ["data", "stringData"]) {
        const values = copy[field];
        if (values && typeof values === "object") copy[field] = Object.fromEntries(Object.keys(values).map((k) => [k, SECRET_MARKER]));
    }
    return copy;
}

/**
 * Compare a stage's objects.
 *
 * @param base the objects rendered from the base ref, in any order
 * @param head the objects rendered from the head
 * @returns the changes, removed and renamed objects first in base order, then changed, then added in head order
 */
export function diffStage(base: KubernetesObject[], head: KubernetesObject[]): ObjectChange[] {
    const baseById = new Map(base.map((o) => [identity(o), masked(o)]));
    const headById = new Map(head.map((o) => [identity(o), masked(o)]));
    const removed = [...baseById.entries()].filter(([id]) => !headById.has(id)).map(([, o]) => o);
    const added = [...headById.entries()].filter(([id]) => !baseById.has(id)).map(([, o]) => o);
    const changes: ObjectChange[] = [];
    const describe = (o: KubernetesObject) => ({ kind: o.kind, name: o.metadata.name, ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}) });

    // Pair a removed and an added object of one kind and namespace whose names differ only by their hash suffix.
    const pairedAdded = new Set<KubernetesObject>();
    for (const old of removed) {
        const stem = hashStem(old.metadata.name);
        const successor = stem === undefined ? undefined : added.find((o) => !pairedAdded.has(o) && o.kind === old.kind && o.metadata.namespace === old.metadata.namespace && hashStem(o.metadata.name) === stem);
        if (successor) {
            pairedAdded.add(successor);
            const fields = diffFields(old, successor).filter((f) => f.path !== "metadata.name");
            changes.push({ ...describe(successor), status: "renamed", previousName: old.metadata.name, fields });
        } else {
            changes.push({ ...describe(old), status: "removed", fields: [] });
        }
    }
    for (const [id, after] of headById) {
        const before = baseById.get(id);
        if (before === undefined) continue;
        const fields = diffFields(before, after);
        if (fields.length > 0) changes.push({ ...describe(after), status: "changed", fields });
    }
    for (const o of added) if (!pairedAdded.has(o)) changes.push({ ...describe(o), status: "added", fields: [] });
    return changes;
}
