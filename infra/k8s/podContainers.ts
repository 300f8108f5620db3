/**
 * A workload's pod, as plain data: the pod spec each workload kind carries, and the pod's
 * containers with their field paths. One walk for the review rules, the Pod Security checker
 * and the docker-run plan. Field paths follow the Kubernetes API: core/v1 Pod `spec`, the
 * `spec.template.spec` of apps/v1 Deployment, StatefulSet, DaemonSet, ReplicaSet and batch/v1
 * Job, `spec.jobTemplate.spec.template.spec` of batch/v1 CronJob; a PodSpec's
 * `initContainers`, `containers` and `ephemeralContainers`.
 */

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const WORKLOAD_POD_SPEC: Record<string, (o: Obj) => Obj | undefined> = {
    Pod: (o) => o.spec,
    Deployment: (o) => o.spec?.template?.spec,
    StatefulSet: (o) => o.spec?.template?.spec,
    DaemonSet: (o) => o.spec?.template?.spec,
    ReplicaSet: (o) => o.spec?.template?.spec,
    Job: (o) => o.spec?.template?.spec,
    CronJob: (o) => o.spec?.jobTemplate?.spec?.template?.spec,
};

/** The pod spec of a workload object, or undefined for other kinds. */
export function podSpecOf(object: Obj): Obj | undefined {
    return WORKLOAD_POD_SPEC[object.kind]?.(object);
}

/** A PodSpec's container lists, in the order the kubelet starts them. */
export const CONTAINER_FIELDS = ["initContainers", "containers", "ephemeralContainers"] as const;
export type ContainerField = (typeof CONTAINER_FIELDS)[number];

/** One container of a pod spec and where it sits. */
export interface PodContainer {
    field: ContainerField;
    /** Index in its list. */
    index: number;
    /** Field path from the pod spec, written from `spec`, e.g. `spec.initContainers[0]`. */
    path: string;
    container: Obj;
}

/**
 * The containers of a pod spec (`Pod.spec` or a template's `spec`), list by list.
 *
 * @param fields which lists, in this order; default all three (app containers alone: `["containers"]`)
 */
export function podContainers(spec: Obj, fields: readonly ContainerField[] = CONTAINER_FIELDS): PodContainer[] {
    return fields.flatMap((field) => ((spec[field] ?? []) as Obj[]).map((container, index) => ({ field, index, path: `spec.${field}[${index}]`, container })));
}
