/**
 * The securityContext fields whose change makes a pod less safe (pure). Each hardening fact is
 * read as the kubelet applies it (a container's field overrides the pod's for runAsNonRoot,
 * runAsUser and seccompProfile) and is weakened when it held at base and no longer holds at head.
 * Each fact names the rule it serves: the Pod Security Standards
 * (https://kubernetes.io/docs/concepts/security/pod-security-standards/, control names as there) or
 * this package's hardening beyond "restricted" (docs/security.md).
 */
import type { KubernetesObject } from "../../k8s/kubernetesObject";
import { podContainers, podSpecOf } from "../../k8s/podContainers";
import { checkRestricted } from "../../k8s/podSecurity";
import { objectLabel } from "./stageDiff";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** One weakened field: where, the value at base and at head, and the rule it breaks. */
export interface Weakening {
    object: string;
    /** Full field path at head, e.g. `spec.template.spec.containers[ragstar].securityContext.readOnlyRootFilesystem`. */
    path: string;
    before: unknown;
    after: unknown;
    rule: string;
}

/** A value and the field it comes from (the container's, else the pod's). */
interface Effective {
    value: unknown;
    path: string;
}

/** One hardening fact: how to read it and when it holds. */
interface Fact {
    rule: string;
    read(pod: Obj, container: Obj | undefined, podPath: string, containerPath: string): Effective;
    holds(value: unknown): boolean;
}

const PSS = "Pod Security Standard";
const PACKAGE = "this package's hardening (docs/security.md)";

/** The container's field when set, else the pod's (core/v1 SecurityContext: "takes precedence"). */
function inherited(field: string[]): Fact["read"] {
    return (pod, container, podPath, containerPath) => {
        const own = field.reduce<unknown>((v, k) => (v as Obj | undefined)?.[k], container?.securityContext);
        if (own !== undefined) return { value: own, path: `${containerPath}.securityContext.${field.join(".")}` };
        return { value: field.reduce<unknown>((v, k) => (v as Obj | undefined)?.[k], pod.securityContext), path: `${podPath}.securityContext.${field.join(".")}` };
    };
}

function own(field: string[]): Fact["read"] {
    return (_pod, container, _podPath, containerPath) => ({ value: field.reduce<unknown>((v, k) => (v as Obj | undefined)?.[k], container?.securityContext), path: `${containerPath}.securityContext.${field.join(".")}` });
}

function podField(field: string): Fact["read"] {
    return (pod, _container, podPath) => ({ value: pod[field], path: `${podPath}.${field}` });
}

/** Facts read per container. */
const CONTAINER_FACTS: Fact[] = [
    { rule: `${PSS} "restricted": Privilege Escalation (allowPrivilegeEscalation must be false)`, read: own(["allowPrivilegeEscalation"]), holds: (v) => v === false },
    { rule: `${PSS} "baseline": Privileged Containers (privileged must be unset or false)`, read: own(["privileged"]), holds: (v) => v !== true },
    { rule: `${PACKAGE}: read-only root filesystem (readOnlyRootFilesystem: true)`, read: own(["readOnlyRootFilesystem"]), holds: (v) => v === true },
    { rule: `${PSS} "restricted": Running as Non-root (runAsNonRoot must be true)`, read: inherited(["runAsNonRoot"]), holds: (v) => v === true },
    { rule: `${PSS} "restricted": Running as Non-root user (runAsUser must not be 0)`, read: inherited(["runAsUser"]), holds: (v) => v !== 0 },
    { rule: `${PSS} "restricted": Capabilities (drop must include ALL)`, read: own(["capabilities", "drop"]), holds: (v) => Array.isArray(v) && v.includes("ALL") },
    { rule: `${PSS} "restricted": Seccomp (RuntimeDefault or Localhost)`, read: inherited(["seccompProfile", "type"]), holds: (v) => v === "RuntimeDefault" || v === "Localhost" },
];

/** Facts read once per pod. */
const POD_FACTS: Fact[] = [
    ...["hostNetwork", "hostPID", "hostIPC"].map((field) => ({ rule: `${PSS} "baseline": Host Namespaces (${field} must be unset or false)`, read: podField(field), holds: (v: unknown) => v !== true })),
    { rule: `${PACKAGE}: no service-account token (automountServiceAccountToken: false)`, read: podField("automountServiceAccountToken"), holds: (v) => v === false },
];

/** Where the pod spec sits in each workload kind (infra/k8s/podContainers.ts reads the same). */
function podPathOf(kind: string): string {
    if (kind === "Pod") return "spec";
    return kind === "CronJob" ? "spec.jobTemplate.spec.template.spec" : "spec.template.spec";
}

const containersByName = (spec: Obj) => new Map(podContainers(spec).map((c) => [c.container.name as string, c]));

/**
 * Every hardening fact that held for a workload at base and does not at head. Workloads and
 * containers are matched by kind, namespace and name; a container new at head is judged against
 * the facts every base container met (a new container must be as hardened as the others).
 * Capabilities added at head that base did not add are a weakening too, and so is any other
 * violation of the Pod Security Standard "restricted" (`checkRestricted`, infra/k8s/podSecurity.ts)
 * that head has and base had not: a hostPath volume, a host port, AppArmor or SELinux options.
 *
 * @param base the stage's objects at base
 * @param head the stage's objects at head
 */
export function securityWeakenings(base: KubernetesObject[], head: KubernetesObject[]): Weakening[] {
    const out: Weakening[] = [];
    const baseWorkloads = new Map(base.filter((o) => podSpecOf(o)).map((o) => [`${o.kind}\0${o.metadata.namespace ?? ""}\0${o.metadata.name}`, o]));
    for (const after of head) {
        const headSpec = podSpecOf(after);
        const before = baseWorkloads.get(`${after.kind}\0${after.metadata.namespace ?? ""}\0${after.metadata.name}`);
        if (!headSpec || !before) continue;
        const baseSpec = podSpecOf(before) as Obj;
        const podPath = podPathOf(after.kind);
        const object = objectLabel({ kind: after.kind, name: after.metadata.name, namespace: after.metadata.namespace });
        const record = (fact: Fact, b: Effective, a: Effective) => {
            if (fact.holds(b.value) && !fact.holds(a.value)) out.push({ object, path: a.path, before: b.value, after: a.value, rule: fact.rule });
        };
        for (const fact of POD_FACTS) record(fact, fact.read(baseSpec, undefined, podPath, ""), fact.read(headSpec, undefined, podPath, ""));
        const baseContainers = containersByName(baseSpec);
        for (const [name, c] of containersByName(headSpec)) {
            const containerPath = `${podPath}.${c.field}[${name}]`;
            const a = (fact: Fact) => fact.read(headSpec, c.container, podPath, containerPath);
            const previous = baseContainers.get(name);
            if (previous) {
                const previousPath = `${podPath}.${previous.field}[${name}]`;
                for (const fact of CONTAINER_FACTS) record(fact, fact.read(baseSpec, previous.container, podPath, previousPath), a(fact));
                const baseAdd = new Set<string>(previous.container.securityContext?.capabilities?.add ?? []);
                const gained = ((c.container.securityContext?.capabilities?.add ?? []) as string[]).filter((cap) => !baseAdd.has(cap));
                if (gained.length > 0) {
                    out.push({ object, path: `${containerPath}.securityContext.capabilities.add`, before: [...baseAdd], after: c.container.securityContext.capabilities.add, rule: `${PSS} "restricted": Capabilities (may add only NET_BIND_SERVICE; this package adds none)` });
                }
            } else {
                // A new container: it must meet every fact all of base's containers met.
                const all = [...baseContainers.values()];
                for (const fact of CONTAINER_FACTS) {
                    if (all.length > 0 && all.every((p) => fact.holds(fact.read(baseSpec, p.container, podPath, "").value)) && !fact.holds(a(fact).value)) {
                        out.push({ object, path: a(fact).path, before: undefined, after: a(fact).value, rule: `${fact.rule}; every other container meets it` });
                    }
                }
            }
        }
        // Every other Pod Security control (volumes, host ports, AppArmor, SELinux, /proc mount, sysctls…):
        // a violation of the standard at head that base did not have, unless a fact above named its control.
        const named = new Set(out.filter((w) => w.object === object).map((w) => /: ([^(]+) \(/.exec(w.rule)?.[1]?.trim()));
        const seen = new Set(checkRestricted(baseSpec).map((v) => `${v.rule}\0${v.path}\0${v.message}`));
        for (const v of checkRestricted(headSpec)) {
            if (seen.has(`${v.rule}\0${v.path}\0${v.message}`) || named.has(v.rule.replace(/ \(baseline\)$/, ""))) continue;
            out.push({ object, path: `${podPath}${v.path.replace(/^spec/, "")}`, before: "met", after: v.message, rule: `${PSS}: ${v.rule}` });
        }
    }
    return out;
}
