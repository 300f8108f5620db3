import { childPath, diffFields, formatValue, lineDiff } from "../../infra/tools/review/fieldDiff";
import { diffStage, objectLabel } from "../../infra/tools/review/stageDiff";
import type { KubernetesObject } from "../../infra/k8s/kubernetesObject";

describe("diffFields", () => {
    test("keys a list of named items by name, so a reordered list is no change and one field is one path", () => {
        const before = { spec: { containers: [{ name: "a", image: "x" }, { name: "ragstar", startupProbe: { failureThreshold: 20 } }] } };
        const after = { spec: { containers: [{ name: "ragstar", startupProbe: { failureThreshold: 21 } }, { name: "a", image: "x" }] } };
        expect(diffFields(before, after)).toEqual([{ path: "spec.containers[ragstar].startupProbe.failureThreshold", before: 20, after: 21 }]);
    });

    test("a list without distinct names goes by index; a list of scalars is one value", () => {
        expect(diffFields({ l: [{ a: 1 }, { a: 2 }] }, { l: [{ a: 1 }, { a: 3 }, { a: 4 }] })).toEqual([
            { path: "l[1].a", before: 2, after: 3 },
            { path: "l[2]", before: undefined, after: { a: 4 } },
        ]);
        expect(diffFields({ drop: ["ALL"] }, { drop: [] })).toEqual([{ path: "drop", before: ["ALL"], after: [] }]);
        expect(diffFields({ l: [{ name: "x" }, { name: "x", v: 1 }] }, { l: [{ name: "x" }, { name: "x", v: 2 }] })).toEqual([{ path: "l[1].v", before: 1, after: 2 }]);
    });

    test("an added or removed field is one change with the other side absent; equal objects give none", () => {
        expect(diffFields({ a: { b: 1 } }, { a: {} })).toEqual([{ path: "a.b", before: 1, after: undefined }]);
        expect(diffFields({ a: { b: [1, { c: 2 }] } }, { a: { b: [1, { c: 2 }] } })).toEqual([]);
        expect(diffFields({ a: 1 }, { a: "1" })).toEqual([{ path: "a", before: 1, after: "1" }]);
    });

    test("quotes keys that are not identifiers", () => {
        expect(childPath("metadata.annotations", "kube-score/ignore")).toBe('metadata.annotations["kube-score/ignore"]');
        expect(childPath("", "spec")).toBe("spec");
        expect(diffFields({ data: { "ragstar.yaml": "a" } }, { data: { "ragstar.yaml": "b" } })[0].path).toBe('data["ragstar.yaml"]');
    });
});

describe("formatValue", () => {
    test("numbers and booleans bare, strings as JSON, absent and [secret] by name, long values cut", () => {
        expect([formatValue(21), formatValue(false), formatValue("1Gi"), formatValue(undefined), formatValue("[secret]"), formatValue(["ALL"])]).toEqual(["21", "false", '"1Gi"', "(absent)", "[secret]", '["ALL"]']);
        const long = formatValue("x".repeat(200));
        expect(long).toBe(`"${"x".repeat(159)}… (42 more characters)`);
    });
});

describe("lineDiff", () => {
    test("removed lines before added ones, unchanged lines only with context", () => {
        expect(lineDiff("a\nb\nc", "a\nB\nc")).toEqual(["- b", "+ B"]);
        expect(lineDiff("a\nb\nc", "a\nB\nc", { context: true })).toEqual(["  a", "- b", "+ B", "  c"]);
        expect(lineDiff("a", "a\nb")).toEqual(["+ b"]);
        expect(lineDiff("x\ny", "y")).toEqual(["- x"]);
    });

    test("beyond maxLines every line counts as changed", () => {
        expect(lineDiff("a\nb", "a\nc", { maxLines: 1 })).toEqual(["- a", "- b", "+ a", "+ c"]);
    });
});

describe("diffStage", () => {
    const object = (kind: string, name: string, rest: Record<string, unknown> = {}): KubernetesObject => ({ apiVersion: "v1", kind, metadata: { name, namespace: "ns" }, ...rest });

    test("added, removed and changed objects, matched by kind, namespace and name", () => {
        const changes = diffStage([object("Service", "a", { spec: { port: 1 } }), object("ServiceAccount", "gone")], [object("Service", "a", { spec: { port: 2 } }), object("PodDisruptionBudget", "new")]);
        expect(changes.map((c) => [c.status, objectLabel(c), c.fields.map((f) => f.path)])).toEqual([
            ["removed", "ServiceAccount ns/gone", []],
            ["changed", "Service ns/a", ["spec.port"]],
            ["added", "PodDisruptionBudget ns/new", []],
        ]);
    });

    test("a ConfigMap renamed by its content hash is paired with its predecessor", () => {
        const changes = diffStage([object("ConfigMap", "ragstar-config-79f93c5c0b", { data: { f: "a: 1" } })], [object("ConfigMap", "ragstar-config-df49ab0d87", { data: { f: "a: 2" } })]);
        expect(changes).toEqual([{ kind: "ConfigMap", name: "ragstar-config-df49ab0d87", namespace: "ns", status: "renamed", previousName: "ragstar-config-79f93c5c0b", fields: [{ path: "data.f", before: "a: 1", after: "a: 2" }] }]);
    });

    test("a Secret's values never reach the diff, even in clear; its keys do", () => {
        const changes = diffStage([object("Secret", "s", { stringData: { token: "old-clear-value" } })], [object("Secret", "s", { stringData: { token: "new-clear-value", url: "x" } })]);
        expect(changes[0].fields).toEqual([{ path: "stringData.url", before: undefined, after: "[secret]" }]);
        expect(JSON.stringify(changes)).not.toMatch(/clear-value/);
    });
});
