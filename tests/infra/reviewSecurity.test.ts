import type { KubernetesObject } from "../../infra/k8s/kubernetesObject";
import { containerSecurityContext, podSecurityContext } from "../../infra/k8s/securityContext";
import { securityWeakenings } from "../../infra/tools/review/securityWeakening";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A Deployment hardened as the package hardens it, with `edit` applied to its pod spec. */
function deployment(edit: (pod: Obj) => void = () => undefined, containers = ["ragstar"]): KubernetesObject {
    const pod: Obj = {
        automountServiceAccountToken: false,
        securityContext: podSecurityContext(1000),
        containers: containers.map((name) => ({ name, securityContext: containerSecurityContext(1000) })),
    };
    const copy = JSON.parse(JSON.stringify(pod));
    edit(copy);
    return { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "ragstar", namespace: "ns" }, spec: { template: { spec: copy } } };
}

const C = "spec.template.spec.containers[ragstar].securityContext";
const P = "spec.template.spec";

test("the package's hardening at base and head: nothing weakened", () => {
    expect(securityWeakenings([deployment()], [deployment()])).toEqual([]);
});

test.each([
    ["allowPrivilegeEscalation", (p: Obj) => (p.containers[0].securityContext.allowPrivilegeEscalation = true), `${C}.allowPrivilegeEscalation`, false, true, /Privilege Escalation/],
    ["privileged", (p: Obj) => (p.containers[0].securityContext.privileged = true), `${C}.privileged`, false, true, /Privileged Containers/],
    ["readOnlyRootFilesystem removed", (p: Obj) => delete p.containers[0].securityContext.readOnlyRootFilesystem, `${C}.readOnlyRootFilesystem`, true, undefined, /read-only root filesystem/],
    ["runAsUser 0 at container level", (p: Obj) => (p.containers[0].securityContext.runAsUser = 0), `${C}.runAsUser`, 1000, 0, /Running as Non-root user/],
    ["capabilities.drop emptied", (p: Obj) => (p.containers[0].securityContext.capabilities.drop = []), `${C}.capabilities.drop`, ["ALL"], [], /Capabilities \(drop must include ALL\)/],
    ["seccomp Unconfined at pod level", (p: Obj) => (p.securityContext.seccompProfile.type = "Unconfined"), `${P}.securityContext.seccompProfile.type`, "RuntimeDefault", "Unconfined", /Seccomp/],
    ["hostNetwork", (p: Obj) => (p.hostNetwork = true), `${P}.hostNetwork`, undefined, true, /Host Namespaces \(hostNetwork/],
    ["service-account token", (p: Obj) => delete p.automountServiceAccountToken, `${P}.automountServiceAccountToken`, false, undefined, /no service-account token/],
])("%s is a weakening, with its path, both values and its rule", (_name, edit, path, before, after, rule) => {
    const [weakening, ...rest] = securityWeakenings([deployment()], [deployment(edit)]);
    expect(rest).toEqual([]);
    expect(weakening).toMatchObject({ object: "Deployment ns/ragstar", path, before, after });
    expect(weakening.rule).toMatch(rule);
});

test("runAsNonRoot is read as the kubelet does: the container's field overrides the pod's", () => {
    // Removing the container's own field leaves the pod's true: not a weakening.
    expect(securityWeakenings([deployment()], [deployment((p) => delete p.containers[0].securityContext.runAsNonRoot)])).toEqual([]);
    // Then turning the pod's off is one, named at the pod's field.
    const weakened = securityWeakenings([deployment()], [deployment((p) => {
        delete p.containers[0].securityContext.runAsNonRoot;
        p.securityContext.runAsNonRoot = false;
    })]);
    expect(weakened.map((w) => [w.path, w.before, w.after])).toEqual([[`${P}.securityContext.runAsNonRoot`, true, false]]);
});

test("a capability added at head is a weakening; a stronger setting is not", () => {
    const added = securityWeakenings([deployment()], [deployment((p) => (p.containers[0].securityContext.capabilities.add = ["NET_ADMIN"]))]);
    expect(added.map((w) => [w.path, w.after])).toEqual([[`${C}.capabilities.add`, ["NET_ADMIN"]]]);
    expect(securityWeakenings([deployment((p) => (p.containers[0].securityContext.readOnlyRootFilesystem = false))], [deployment()])).toEqual([]);
});

test("a new container must meet what every base container met", () => {
    const head = deployment((p) => p.containers.push({ name: "sidecar", securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } }));
    expect(securityWeakenings([deployment()], [head])).toEqual([]);
    const loose = deployment((p) => p.containers.push({ name: "sidecar" }));
    expect(securityWeakenings([deployment()], [loose]).map((w) => w.path)).toEqual([
        "spec.template.spec.containers[sidecar].securityContext.allowPrivilegeEscalation",
        "spec.template.spec.containers[sidecar].securityContext.readOnlyRootFilesystem",
        "spec.template.spec.containers[sidecar].securityContext.capabilities.drop",
    ]);
});

test("any other Pod Security control broken at head is a weakening too: a hostPath volume, a host port", () => {
    const head = deployment((p) => {
        p.volumes = [{ name: "host", hostPath: { path: "/var/run" } }];
        p.containers[0].ports = [{ containerPort: 8000, hostPort: 8000 }];
    });
    expect(securityWeakenings([deployment()], [head]).map((w) => [w.path, w.rule])).toEqual([
        ["spec.template.spec.volumes[0]", 'Pod Security Standard: HostPath Volumes'],
        ["spec.template.spec.volumes[0]", 'Pod Security Standard: Volume Types'],
        ["spec.template.spec.containers[0].ports[0].hostPort", 'Pod Security Standard: Host Ports'],
    ]);
});

test("only workloads present on both sides are compared", () => {
    expect(securityWeakenings([], [deployment((p) => (p.hostPID = true))])).toEqual([]);
});
