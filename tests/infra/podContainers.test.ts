import { CONTAINER_FIELDS, podContainers, podSpecOf } from "../../infra/k8s/podContainers";

const spec = { containers: [{ name: "app" }, { name: "sidecar" }], initContainers: [{ name: "init" }], ephemeralContainers: [{ name: "debug" }] };

test.each([
    ["Pod", { kind: "Pod", spec }],
    ["Deployment", { kind: "Deployment", spec: { template: { spec } } }],
    ["StatefulSet", { kind: "StatefulSet", spec: { template: { spec } } }],
    ["DaemonSet", { kind: "DaemonSet", spec: { template: { spec } } }],
    ["ReplicaSet", { kind: "ReplicaSet", spec: { template: { spec } } }],
    ["Job", { kind: "Job", spec: { template: { spec } } }],
    ["CronJob", { kind: "CronJob", spec: { jobTemplate: { spec: { template: { spec } } } } }],
])("podSpecOf finds the pod spec of a %s", (_, object) => {
    expect(podSpecOf(object)).toBe(spec);
});

test("podSpecOf: undefined for other kinds and for a workload without a template", () => {
    expect(podSpecOf({ kind: "ConfigMap", data: {} })).toBeUndefined();
    expect(podSpecOf({ kind: "Deployment", spec: {} })).toBeUndefined();
});

test("podContainers lists init, app and ephemeral containers in start order, with their field paths", () => {
    expect(CONTAINER_FIELDS).toEqual(["initContainers", "containers", "ephemeralContainers"]);
    expect(podContainers(spec).map((c) => [c.path, c.field, c.index, c.container.name])).toEqual([
        ["spec.initContainers[0]", "initContainers", 0, "init"],
        ["spec.containers[0]", "containers", 0, "app"],
        ["spec.containers[1]", "containers", 1, "sidecar"],
        ["spec.ephemeralContainers[0]", "ephemeralContainers", 0, "debug"],
    ]);
    expect(podContainers(spec, ["containers"]).map((c) => c.container.name)).toEqual(["app", "sidecar"]);
    expect(podContainers({})).toEqual([]);
});
