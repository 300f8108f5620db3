/**
 * The review rules for Kubernetes objects, as pure functions over plain objects. The
 * same rules run in the Pulumi policy pack (policy/index.ts, `pulumi preview --policy-pack
 * policy`) and in the engine-free `render`, so a reviewer gets one verdict with or without
 * the engine. Mandatory rules block; advisory rules report a choice the team may make
 * differently. docs/review.md lists them with their sources and the modules they rely on:
 * infra/k8s/podContainers.ts (which pod, which containers), infra/k8s/podSecurity.ts,
 * infra/imageReference.ts, ./configMapKeys.ts and ./waivers.ts (HIGH_UID).
 */
import { endsWithDigest } from "../imageReference";
import { podContainers, podSpecOf, type ContainerField } from "../k8s/podContainers";
import { checkRestricted } from "../k8s/podSecurity";
import { DEFAULT_RUN_AS_USER } from "../k8s/securityContext";
import { looksSecret, nestedKeys } from "./configMapKeys";
import { HIGH_UID } from "./waivers";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** One finding: which object, and what is wrong. */
export interface Violation {
    rule: string;
    enforcement: "mandatory" | "advisory";
    object: string;
    message: string;
}

/** A rule: a name (kebab-case, as in the policy pack), its level, and a check returning messages. */
export interface Rule {
    name: string;
    description: string;
    enforcement: "mandatory" | "advisory";
    check(object: Obj): string[];
}

/** The containers of a workload object (none for other kinds): all of them, or the lists named. */
function containers(object: Obj, fields?: readonly ContainerField[]): Obj[] {
    return podContainers(podSpecOf(object) ?? {}, fields).map((c) => c.container);
}

/** The app containers (`containers`, not init or ephemeral ones). */
const appContainers = (object: Obj) => containers(object, ["containers"]);

/** A probe does something only with one of these handlers (core/v1 ProbeHandler). */
const PROBE_HANDLERS = ["httpGet", "exec", "tcpSocket", "grpc"];

/** Kinds that live outside namespaces; everything else must not use `default`. */
const CLUSTER_SCOPED = new Set([
    "Namespace", "Node", "PersistentVolume", "StorageClass", "VolumeAttachment", "CSIDriver", "CSINode", "ClusterRole", "ClusterRoleBinding",
    "CustomResourceDefinition", "APIService", "PriorityClass", "RuntimeClass", "IngressClass", "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "FlowSchema",
    "PriorityLevelConfiguration", "CertificateSigningRequest", "ClusterIssuer",
]);

/** Rules for every object: the pod's hardening, images, probes, resources, namespaces. */
const POD_RULES: Rule[] = [
    {
        name: "pod-security-restricted",
        description: "Pods meet the Pod Security Standard 'restricted' profile (kubernetes.io/docs/concepts/security/pod-security-standards).",
        enforcement: "mandatory",
        check: (o) => {
            const spec = podSpecOf(o);
            return spec ? checkRestricted(spec).map((v) => `${v.rule}: ${v.path} ${v.message}`) : [];
        },
    },
    {
        name: "image-pinned-by-digest",
        description: "Every container image is pinned by digest (REGISTRY/REPO@sha256:…), so what was reviewed is what runs.",
        enforcement: "mandatory",
        check: (o) => containers(o).filter((c) => !endsWithDigest(String(c.image ?? ""))).map((c) => `container ${c.name}: image ${JSON.stringify(c.image)} is not pinned by digest`),
    },
    {
        name: "probes-present",
        description: "Every app container has a livenessProbe and a readinessProbe.",
        enforcement: "mandatory",
        check: (o) =>
            appContainers(o).flatMap((c) =>
                ["livenessProbe", "readinessProbe"]
                    .filter((p) => !PROBE_HANDLERS.some((handler) => c[p]?.[handler] !== undefined))
                    .map((p) => `container ${c.name}: no ${p} (with httpGet, exec, tcpSocket or grpc)`),
            ),
    },
    {
        name: "resources-requests-and-memory-limit",
        description: "Every container requests cpu and memory and has a memory limit.",
        enforcement: "mandatory",
        check: (o) =>
            containers(o).flatMap((c) => {
                const problems: string[] = [];
                for (const resource of ["cpu", "memory"]) if (!c.resources?.requests?.[resource]) problems.push(`container ${c.name}: no ${resource} request`);
                if (!c.resources?.limits?.memory) problems.push(`container ${c.name}: no memory limit`);
                return problems;
            }),
    },
    {
        name: "no-secret-looking-configmap-keys",
        description: "ConfigMaps hold no key that looks like a secret (password, token, api key, …), in data or inside YAML/JSON files they carry.",
        enforcement: "mandatory",
        check: (o) => {
            if (o.kind !== "ConfigMap") return [];
            const problems: string[] = [];
            for (const [key, value] of Object.entries<string>(o.data ?? {})) {
                if (looksSecret(key)) problems.push(`data key ${key} looks like a secret; use a Secret`);
                for (const nested of nestedKeys(value)) if (looksSecret(nested)) problems.push(`data ${key}: key ${nested} looks like a secret; use a Secret`);
            }
            return problems;
        },
    },
    {
        name: "no-default-namespace",
        description: "No namespaced object lives in the `default` namespace (or omits its namespace).",
        enforcement: "mandatory",
        check: (o) => (CLUSTER_SCOPED.has(o.kind) ? [] : !o.metadata?.namespace || o.metadata.namespace === "default" ? [`${o.kind} is in the default namespace`] : []),
    },
    {
        name: "read-only-root-filesystem",
        description: "Containers run with readOnlyRootFilesystem (beyond 'restricted'; some workloads need a writable root).",
        enforcement: "advisory",
        check: (o) => containers(o).filter((c) => c.securityContext?.readOnlyRootFilesystem !== true).map((c) => `container ${c.name}: root filesystem is writable`),
    },
    {
        name: "high-uid",
        description: `Containers run as a UID ≥ ${HIGH_UID} (kube-score and checkov prefer it, to avoid clashing with host users; this package defaults to ${DEFAULT_RUN_AS_USER}).`,
        enforcement: "advisory",
        check: (o) => {
            const spec = podSpecOf(o);
            if (!spec) return [];
            return appContainers(o).flatMap((c) => {
                const uid = c.securityContext?.runAsUser ?? spec.securityContext?.runAsUser;
                return uid === undefined || uid < HIGH_UID ? [`container ${c.name}: runAsUser ${uid ?? "(unset)"} is below ${HIGH_UID}`] : [];
            });
        },
    },
    {
        name: "cpu-limit",
        description: "Containers have a cpu limit (a team may prefer requests only, to avoid throttling).",
        enforcement: "advisory",
        check: (o) => containers(o).filter((c) => !c.resources?.limits?.cpu).map((c) => `container ${c.name}: no cpu limit`),
    },
    {
        name: "no-service-account-token",
        description: "Pods do not mount a service-account token unless they call the Kubernetes API.",
        enforcement: "advisory",
        check: (o) => {
            const spec = podSpecOf(o);
            return spec && spec.automountServiceAccountToken !== false ? ["pod mounts a service-account token (automountServiceAccountToken is not false)"] : [];
        },
    },
];

/**
 * Whether a Deployment may run more than one pod: `replicas` above 1, or left out (the
 * HorizontalPodAutoscaler owns it; this package leaves it out only then, deployment.ts).
 */
function mayRunSeveral(o: Obj): boolean {
    return o.kind === "Deployment" && (o.spec?.replicas === undefined || o.spec.replicas > 1);
}

/** A PodDisruptionBudget bound that allows no eviction: 0 or 0% unavailable, 100% available. */
const blocksEveryEviction = (spec: Obj) => spec.maxUnavailable === 0 || spec.maxUnavailable === "0%" || spec.minAvailable === "100%";

/** Whether a pod spec spreads its pods over nodes: a topology spread or a podAntiAffinity (required or preferred) on the hostname label. */
function spreadsOverNodes(spec: Obj): boolean {
    const HOSTNAME = "kubernetes.io/hostname";
    if ((spec.topologySpreadConstraints ?? []).some((c: Obj) => c.topologyKey === HOSTNAME)) return true;
    const anti = spec.affinity?.podAntiAffinity ?? {};
    const required: Obj[] = anti.requiredDuringSchedulingIgnoredDuringExecution ?? [];
    const preferred: Obj[] = (anti.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((p: Obj) => p.podAffinityTerm ?? {});
    return [...required, ...preferred].some((term) => term.topologyKey === HOSTNAME);
}

/**
 * Rules for workloads that run several replicas (the postgres mode, docs/database.md). The sqlite
 * mode's one replica with Recreate passes them: they look at Deployments that may run more than one pod.
 */
const REPLICA_RULES: Rule[] = [
    {
        name: "several-replicas-roll",
        description: "A Deployment that may run more than one pod (replicas above 1, or left to an autoscaler) uses the RollingUpdate strategy: Recreate stops every replica before the first new one starts.",
        enforcement: "mandatory",
        check: (o) => (mayRunSeveral(o) && o.spec?.strategy?.type === "Recreate" ? ["strategy Recreate stops every replica at once; use RollingUpdate"] : []),
    },
    {
        name: "rolling-update-keeps-capacity",
        description: "A RollingUpdate Deployment that may run more than one pod sets maxUnavailable 0, so the ready count never drops below the replica count during an update (the default 25% takes pods away first).",
        enforcement: "advisory",
        check: (o) => {
            if (!mayRunSeveral(o) || o.spec?.strategy?.type === "Recreate") return [];
            const maxUnavailable = o.spec?.strategy?.rollingUpdate?.maxUnavailable;
            return maxUnavailable === 0 || maxUnavailable === "0%" ? [] : [`rollingUpdate.maxUnavailable is ${JSON.stringify(maxUnavailable ?? "25% (the default)")}, not 0`];
        },
    },
    {
        name: "disruption-budget-allows-drain",
        description: "A PodDisruptionBudget allows at least one eviction: maxUnavailable 0 (or 0%) or minAvailable 100% blocks every node drain.",
        enforcement: "mandatory",
        check: (o) => (o.kind === "PodDisruptionBudget" && blocksEveryEviction(o.spec ?? {}) ? ["the budget allows no eviction, so every node drain blocks on these pods; use maxUnavailable: 1"] : []),
    },
    {
        name: "replicas-spread-over-nodes",
        description: "A Deployment that may run more than one pod spreads them over nodes (topologySpreadConstraints or a podAntiAffinity on kubernetes.io/hostname), so one node lost does not take them all.",
        enforcement: "advisory",
        check: (o) => (mayRunSeveral(o) && !spreadsOverNodes(o.spec?.template?.spec ?? {}) ? ["no topology spread or podAntiAffinity over kubernetes.io/hostname"] : []),
    },
];

/** Every rule, in the order the policy pack and `render` report them. */
export const RULES: Rule[] = [...POD_RULES, ...REPLICA_RULES];

/** `Kind namespace/name` for messages. */
export function describeObject(object: Obj): string {
    const namespace = object.metadata?.namespace;
    return `${object.kind} ${namespace ? `${namespace}/` : ""}${object.metadata?.name ?? "(unnamed)"}`;
}

/**
 * Run every rule on every object.
 *
 * @returns all violations, mandatory first, in object order
 */
export function evaluatePolicy(objects: Obj[], rules: Rule[] = RULES): Violation[] {
    const violations = objects.flatMap((object) =>
        rules.flatMap((rule) => rule.check(object).map((message) => ({ rule: rule.name, enforcement: rule.enforcement, object: describeObject(object), message }))),
    );
    return [...violations.filter((v) => v.enforcement === "mandatory"), ...violations.filter((v) => v.enforcement === "advisory")];
}
