/**
 * Differential test: this package's render against the API server's own validation.
 *
 * A seeded, bounded set of stack configs is derived from the dev stack with one or two
 * mutations each (valid variations and subtly invalid values). Each config is rendered
 * engine-free; the objects are then server-side applied with `--dry-run=server`. Agreement:
 * the render succeeds exactly when the API server accepts every object.
 *
 * When the render refuses a config there are no rendered objects to send, so the API server
 * judges the objects the mutation would have produced: the base render with the same change
 * made to the objects (each mutation carries both edits). When the render succeeds, the
 * rendered objects themselves are sent.
 *
 * Three kinds of mutation:
 * - valid: both must accept;
 * - invalid: both must refuse (the API server is the judge);
 * - stricter: refused by this package on purpose although the API server accepts it (a zero
 *   cpu request, a relative or nested data path, kube-public, EXPOSE 8000/udp, a CIDR with host
 *   bits): the render must refuse; the API server's verdict is printed, not compared.
 * Left out, since the verdict depends on the cluster's state, not the objects: a missing
 * StorageClass (a PVC naming one is accepted and stays Pending), ResourceQuota and LimitRange
 * admission, and admission webhooks (none on this control plane).
 *
 * Seed: RAGSTAR_DRYRUN_SEED (default 11); count: RAGSTAR_DRYRUN_CONFIGS (default 80).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import { parse, stringify } from "yaml";

import { renderStack, toYaml } from "../../infra/tools/render/render";
import { projectWith, REPO_ROOT } from "../infra/projectFixture";
import { seededRandom } from "../lib/seededRandom";
import type { KubernetesObject } from "../../infra/k8s/kubernetesObject";

function kubectl(args: string[], input?: string): { code: number; stdout: string; stderr: string } {
    const bin = process.env.KUBE_BIN;
    if (!bin || !process.env.KUBECONFIG) throw new Error("KUBE_BIN and KUBECONFIG are not set: run through scripts/with-cluster (scripts/test does)");
    const result = spawnSync(path.join(bin, "kubectl"), args, { input, encoding: "utf8", timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
    return { code: result.status ?? -1, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
}

type Config = Record<string, any>;
type Objects = (KubernetesObject & Record<string, any>)[];

/** What a mutation changes: the stack config, and the same change made to rendered objects. */
interface Case {
    stack: string;
    config: Config;
    dockerfile?: string;
}
interface Mutation {
    name: string;
    kind: "valid" | "invalid" | "stricter";
    /** Mutations of one target are not combined (the second would undo the first). */
    target: string;
    config(c: Case): void;
    objects(objects: Objects): void;
}

const BASE_STACK = "dryrun";
const BASE_NAMESPACE = "ragstar-dryrun";

const find = (objects: Objects, kind: string) => {
    const object = objects.find((o) => o.kind === kind);
    if (!object) throw new Error(`no ${kind}`);
    return object;
};
const container = (objects: Objects) => find(objects, "Deployment").spec.template.spec.containers[0];
const volumeMount = (objects: Objects, name: string) => container(objects).volumeMounts.find((m: { name: string }) => m.name === name);

function setEverywhere(value: unknown, key: string, replacement: string): void {
    if (Array.isArray(value)) value.forEach((v) => setEverywhere(v, key, replacement));
    else if (value !== null && typeof value === "object") {
        for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
            if (k === key && typeof v === "string") (value as Record<string, unknown>)[k] = replacement;
            else setEverywhere(v, key, replacement);
        }
    }
}

const resource = (kind: Mutation["kind"], side: "requests" | "limits", name: string, value: string): Mutation => ({
    name: `resources.${side}.${name}=${value}`,
    kind,
    target: `resources.${name}`,
    config: (c) => (c.config["ragstar:resources"][side][name] = value),
    objects: (o) => (container(o).resources[side][name] = value),
});
const storageSize = (kind: Mutation["kind"], value: string): Mutation => ({
    name: `storage.size=${value}`, kind, target: "storage.size",
    config: (c) => (c.config["ragstar:storage"].size = value),
    objects: (o) => (find(o, "PersistentVolumeClaim").spec.resources.requests.storage = value),
});
const tmpSize = (kind: Mutation["kind"], value: string): Mutation => ({
    name: `tmpSizeLimit=${value}`, kind, target: "tmpSizeLimit",
    config: (c) => (c.config["ragstar:tmpSizeLimit"] = value),
    objects: (o) => (find(o, "Deployment").spec.template.spec.volumes.find((v: { name: string }) => v.name === "tmp").emptyDir.sizeLimit = value),
});
/** Replaces the first egress CIDR of the dev stack (192.30.252.0/22). */
const cidr = (kind: Mutation["kind"], value: string): Mutation => ({
    name: `network.egress.1.cidr=${value}`, kind, target: "egress.cidr",
    config: (c) => (c.config["ragstar:network"].egress[1].cidr = value),
    objects: (o) => (find(o, "NetworkPolicy").spec.egress[2].to[0].ipBlock.cidr = value),
});
/** Replaces Ollama's podLabels. */
const podLabels = (kind: Mutation["kind"], labels: Record<string, string>): Mutation => ({
    name: `network.egress.0.podLabels=${JSON.stringify(labels).slice(0, 60)}`, kind, target: "egress.podLabels",
    config: (c) => (c.config["ragstar:network"].egress[0].podLabels = labels),
    objects: (o) => (find(o, "NetworkPolicy").spec.egress[1].to[0].podSelector.matchLabels = labels),
});
const nodeSelector = (kind: Mutation["kind"], labels: Record<string, string>): Mutation => ({
    name: `nodeSelector=${JSON.stringify(labels).slice(0, 60)}`, kind, target: "nodeSelector",
    config: (c) => (c.config["ragstar:nodeSelector"] = labels),
    objects: (o) => (find(o, "Deployment").spec.template.spec.nodeSelector = labels),
});
/** One toleration; the objects get it as written (the API server's defaults are its own business). */
const toleration = (kind: Mutation["kind"], t: Record<string, unknown>): Mutation => ({
    name: `tolerations=[${JSON.stringify(t).slice(0, 80)}]`, kind, target: "tolerations",
    config: (c) => (c.config["ragstar:tolerations"] = [t]),
    objects: (o) => (find(o, "Deployment").spec.template.spec.tolerations = [t]),
});
const storageClass = (kind: Mutation["kind"], value: string): Mutation => ({
    name: `storage.storageClassName=${value}`, kind, target: "storage.storageClassName",
    config: (c) => (c.config["ragstar:storage"].storageClassName = value),
    objects: (o) => (find(o, "PersistentVolumeClaim").spec.storageClassName = value),
});
const ingressNamespace = (kind: Mutation["kind"], value: string): Mutation => ({
    name: `network.ingressNamespaces=[${value.length > 20 ? `${value.length} characters` : value}]`, kind, target: "ingressNamespaces",
    config: (c) => (c.config["ragstar:network"].ingressNamespaces = [value]),
    objects: (o) => find(o, "NetworkPolicy").spec.ingress[0].from.push({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": value } } }),
});
const egressNamespace = (kind: Mutation["kind"], value: string): Mutation => ({
    name: `network.egress.0.namespace=${value.length > 20 ? `${value.length} characters` : value}`, kind, target: "egress.namespace",
    config: (c) => (c.config["ragstar:network"].egress[0].namespace = value),
    objects: (o) => (find(o, "NetworkPolicy").spec.egress[1].to[0].namespaceSelector.matchLabels["kubernetes.io/metadata.name"] = value),
});
const namespace = (kind: Mutation["kind"], value: string): Mutation => ({
    name: `namespace=${value.length > 20 ? `${value.length} characters` : value}`, kind, target: "namespace",
    config: (c) => (c.config["ragstar:namespace"] = value),
    objects: (o) => {
        for (const object of o) {
            if (object.kind === "Namespace") object.metadata.name = value;
            else object.metadata.namespace = value;
        }
    },
});
const stackName = (kind: Mutation["kind"], value: string): Mutation => ({
    name: `stack name=${value}`, kind, target: "stack",
    config: (c) => (c.stack = value),
    objects: (o) => setEverywhere(o, "app.kubernetes.io/instance", value),
});
const dataPath = (kind: Mutation["kind"], value: string): Mutation => ({
    name: `app.db_path=${value}`, kind, target: "app",
    config: (c) => (c.config["ragstar:app"].db_path = value),
    objects: (o) => {
        volumeMount(o, "data").mountPath = value;
        container(o).env.find((e: { name: string }) => e.name === "RAGSTAR_DB_PATH").value = value;
    },
});
const BIG = "m".repeat(1024 * 1024 + 1);
const bigConfigMap: Mutation = {
    name: "app.ollama_model=<1 MiB + 1 characters>", kind: "invalid", target: "app",
    config: (c) => (c.config["ragstar:app"].ollama_model = BIG),
    objects: (o) => (find(o, "ConfigMap").data = Object.fromEntries(Object.entries(find(o, "ConfigMap").data).map(([k, v]) => [k, `${String(v)}\n# ${BIG}`]))),
};
const udpExpose: Mutation = {
    name: "Dockerfile EXPOSE 8000/udp", kind: "stricter", target: "dockerfile",
    config: (c) => (c.dockerfile = fs.readFileSync(path.join(REPO_ROOT, "Dockerfile"), "utf8").replace("EXPOSE 8000", "EXPOSE 8000/udp")),
    objects: () => undefined, // the pod spec is the same; only the image's declared protocol differs
};

const MUTATIONS: Mutation[] = [
    // valid variations
    resource("valid", "limits", "cpu", "2"),
    resource("valid", "requests", "cpu", "0.25"),
    resource("valid", "requests", "cpu", "500m"),
    resource("valid", "limits", "memory", "1Gi"),
    resource("valid", "limits", "memory", "1e9"),
    resource("valid", "requests", "memory", "536870912"),
    resource("valid", "limits", "ephemeral-storage", "1G"),
    storageSize("valid", "10Gi"),
    storageSize("valid", "500M"),
    tmpSize("valid", "128Mi"),
    tmpSize("valid", "1e8"),
    cidr("valid", "2001:db8::/32"),
    cidr("valid", "::/0"),
    cidr("valid", "0.0.0.0/0"),
    cidr("valid", "203.0.113.7/32"),
    podLabels("valid", { "app.kubernetes.io/name": "ollama", "example.com/tier": "backend", empty: "" }),
    podLabels("valid", { app: "a".repeat(63) }),
    storageClass("valid", "fast.ssd-retain"),
    nodeSelector("valid", { "kubernetes.io/arch": "amd64", "example.com/pool": "" }),
    toleration("valid", { key: "kwok.x-k8s.io/node", operator: "Exists", effect: "NoSchedule" }),
    toleration("valid", { operator: "Exists" }),
    toleration("valid", { key: "dedicated", operator: "Equal", value: "ragstar", effect: "NoExecute", tolerationSeconds: 30 }),
    toleration("valid", { key: "dedicated", value: "ragstar" }),
    ingressNamespace("valid", "ingress-nginx"),
    ingressNamespace("valid", "n".repeat(63)),
    egressNamespace("valid", "llm"),
    namespace("valid", "ragstar-dryrun-b"),
    stackName("valid", "canary.v2"),
    dataPath("valid", "/var/lib/ragstar"),
    // invalid: the API server refuses the objects
    resource("invalid", "requests", "memory", "1Gi"),
    resource("invalid", "requests", "cpu", "501m"),
    resource("invalid", "requests", "ephemeral-storage", "268435457"),
    resource("invalid", "limits", "cpu", "-1"),
    resource("invalid", "requests", "memory", "-256Mi"),
    storageSize("invalid", "0"),
    storageSize("invalid", "-1Gi"),
    tmpSize("invalid", "-64Mi"),
    cidr("invalid", "10.0.0.0/33"),
    cidr("invalid", "2001:db8::/129"),
    cidr("invalid", "10.0.0.256/32"),
    cidr("invalid", "10.0.0/8"),
    podLabels("invalid", { "app name": "ollama" }),
    podLabels("invalid", { app: "-ollama" }),
    podLabels("invalid", { app: "a".repeat(64) }),
    storageClass("invalid", "Standard_Retain"),
    nodeSelector("invalid", { "pool name": "a" }),
    nodeSelector("invalid", { pool: "-a" }),
    toleration("invalid", { key: "dedicated", operator: "Exists", value: "ragstar" }),
    toleration("invalid", { value: "ragstar" }),
    toleration("invalid", { key: "dedicated", effect: "NoSchedule", tolerationSeconds: 30 }),
    toleration("invalid", { key: "dedicated", effect: "Sometimes" }),
    toleration("invalid", { key: "bad key!", operator: "Exists" }),
    toleration("invalid", { key: "dedicated", value: "not a label value" }),
    ingressNamespace("invalid", "n".repeat(64)),
    egressNamespace("invalid", "n".repeat(64)),
    namespace("invalid", "n".repeat(64)),
    stackName("invalid", "dryrun_"),
    stackName("invalid", "-dryrun"),
    dataPath("invalid", "/tmp"),
    dataPath("invalid", "/app/config"),
    bigConfigMap,
    // stricter than the API server, on purpose
    resource("stricter", "requests", "cpu", "0"),
    tmpSize("stricter", "0"),
    namespace("stricter", "kube-public"),
    dataPath("stricter", "data"),
    dataPath("stricter", "/app/config/db"),
    cidr("stricter", "10.0.0.1/8"),
    udpExpose,
];

function baseCase(): Case {
    const file = parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.dev.yaml"), "utf8")) as { config: Config };
    const config = file.config;
    config["ragstar:namespace"] = BASE_NAMESPACE;
    config["ragstar:network"].ingressNamespaces ??= [];
    return { stack: BASE_STACK, config };
}

async function render(c: Case): Promise<{ objects?: Objects; error?: string }> {
    const dir = projectWith(c.stack, stringify({ config: c.config }, { lineWidth: 0 }), c.dockerfile ? { Dockerfile: c.dockerfile } : {});
    try {
        return { objects: (await renderStack(c.stack, dir)).objects as Objects };
    } catch (error) {
        return { error: (error as Error).message };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

const createdNamespaces = new Set<string>();

/** Dry-run every object; the namespace is created for real first, since namespaced dry-runs need it. */
function judge(objects: Objects): { accepted: boolean; message: string } {
    const ns = find(objects, "Namespace").metadata.name;
    if (kubectl(["get", "namespace", ns]).code !== 0 && kubectl(["create", "namespace", ns]).code === 0) createdNamespaces.add(ns);
    const result = kubectl(["apply", "--server-side", "--dry-run=server", "--field-manager", "ragstar-dryrun", "-f", "-"], toYaml(objects));
    return { accepted: result.code === 0, message: result.stderr.trim().slice(0, 2000) };
}

afterAll(() => {
    for (const ns of createdNamespaces) kubectl(["delete", "namespace", ns, "--wait=false"]);
});

test("the render succeeds exactly when the API server accepts every object (server-side dry-run)", async () => {
    const seed = Number(process.env.RAGSTAR_DRYRUN_SEED ?? 11);
    const count = Number(process.env.RAGSTAR_DRYRUN_CONFIGS ?? 100);
    const next = seededRandom(seed);
    const started = Date.now();
    const base = await render(baseCase());
    if (!base.objects) throw new Error(`the base config does not render: ${base.error}`);
    expect(judge(base.objects)).toEqual({ accepted: true, message: "" });

    const disagreements: string[] = [];
    const stricter: string[] = [];
    let agreed = 0;
    let valid = 0;
    let invalid = 0;
    for (let i = 0; i < count; i++) {
        // Every mutation once before any repeats, then random picks; a second mutation on another target in half the configs.
        const first = i < MUTATIONS.length ? MUTATIONS[i] : MUTATIONS[Math.floor(next() * MUTATIONS.length)];
        const others = MUTATIONS.filter((m) => m.target !== first.target);
        const chosen = next() < 0.5 ? [first, others[Math.floor(next() * others.length)]] : [first];
        const c = baseCase();
        for (const m of chosen) m.config(c);
        const kind = chosen.some((m) => m.kind === "invalid") ? "invalid" : chosen.some((m) => m.kind === "stricter") ? "stricter" : "valid";
        const rendered = await render(c);
        let objects = rendered.objects;
        if (!objects) {
            objects = structuredClone(base.objects);
            for (const m of chosen) m.objects(objects);
        }
        const api = judge(objects);
        const names = chosen.map((m) => m.name).join(" + ");
        if (kind === "stricter") {
            if (rendered.objects) disagreements.push(`${names} (stricter than the API server): the render accepted it`);
            else stricter.push(`${names}: API server ${api.accepted ? "accepts" : `refuses: ${api.message.split("\n")[0]}`}`);
            continue;
        }
        if (kind === "valid") valid++;
        else invalid++;
        if ((rendered.objects !== undefined) === api.accepted) agreed++;
        else disagreements.push(`${names} (${kind}): render ${rendered.objects ? "succeeded" : `refused: ${rendered.error}`}; API server ${api.accepted ? "accepted every object" : `refused: ${api.message}`}`);
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const judged = valid + invalid;
    console.log(
        [
            `api server dry-run differential: seed ${seed}, ${judged} configs, ${agreed} agreed (${valid} valid, ${invalid} invalid), ${stricter.length} more refused by the render on purpose though the API server is laxer, in ${seconds} s; left out: a missing StorageClass, ResourceQuota/LimitRange admission and admission webhooks (they depend on the cluster's state, not on the objects)`,
            ...stricter.map((s) => `  stricter: ${s}`),
            ...disagreements.map((d) => `  DISAGREEMENT: ${d}`),
        ].join("\n"),
    );
    expect(disagreements).toEqual([]);
    expect(agreed).toBe(judged);
    expect(valid).toBeGreaterThan(0);
    expect(invalid).toBeGreaterThan(0);
});
