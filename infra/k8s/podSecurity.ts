/**
 * The Pod Security Standard "restricted" profile (which includes "baseline") as a pure
 * check over a pod spec, for the tests and for reviewers of rendered objects.
 * Rules and field paths follow https://kubernetes.io/docs/concepts/security/pod-security-standards/
 * (policy version "latest"); the API server's PodSecurity admission is the reference
 * implementation (k8s.io/pod-security-admission/policy).
 */
import { podContainers } from "./podContainers";

/** One violation: the rule's name in the standard, the field path, and what is wrong. */
export interface PodSecurityViolation {
    rule: string;
    path: string;
    message: string;
}

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const BASELINE_CAPABILITIES = new Set([
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
]);
const SAFE_SYSCTLS = new Set([
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes",
]);
const RESTRICTED_VOLUME_TYPES = new Set(["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"]);
const SELINUX_TYPES = new Set(["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"]);

/**
 * Check a pod spec (`Pod.spec` or a template's `spec`) against "restricted".
 *
 * @param spec the pod spec as plain data
 * @returns every violation; empty when the pod is admitted under `enforce: restricted`
 */
export function checkRestricted(spec: Obj): PodSecurityViolation[] {
    const v: PodSecurityViolation[] = [];
    const pod = spec.securityContext ?? {};
    const containers = podContainers(spec);

    // Baseline
    if (spec.hostNetwork || spec.hostPID || spec.hostIPC) v.push({ rule: "Host Namespaces", path: "spec", message: "hostNetwork, hostPID and hostIPC must be unset or false" });
    if (pod.windowsOptions?.hostProcess) v.push({ rule: "HostProcess", path: "spec.securityContext.windowsOptions.hostProcess", message: "must not be true" });
    for (const [i, volume] of (spec.volumes ?? []).entries()) {
        if (volume.hostPath) v.push({ rule: "HostPath Volumes", path: `spec.volumes[${i}]`, message: "hostPath volumes are forbidden" });
        const type = Object.keys(volume).find((k) => k !== "name");
        if (type && !RESTRICTED_VOLUME_TYPES.has(type)) v.push({ rule: "Volume Types", path: `spec.volumes[${i}]`, message: `volume type ${type} is not allowed (allowed: ${[...RESTRICTED_VOLUME_TYPES].join(", ")})` });
    }
    for (const [i, sysctl] of (pod.sysctls ?? []).entries()) {
        if (!SAFE_SYSCTLS.has(sysctl.name)) v.push({ rule: "Sysctls", path: `spec.securityContext.sysctls[${i}]`, message: `sysctl ${sysctl.name} is not in the safe set` });
    }
    if (pod.seLinuxOptions && (!SELINUX_TYPES.has(pod.seLinuxOptions.type ?? "") || pod.seLinuxOptions.user || pod.seLinuxOptions.role)) {
        v.push({ rule: "SELinux", path: "spec.securityContext.seLinuxOptions", message: "custom SELinux user/role or type is forbidden" });
    }
    const podSeccomp = pod.seccompProfile?.type;
    if (podSeccomp === "Unconfined") v.push({ rule: "Seccomp", path: "spec.securityContext.seccompProfile.type", message: "must not be Unconfined" });
    if (pod.appArmorProfile?.type === "Unconfined") v.push({ rule: "AppArmor", path: "spec.securityContext.appArmorProfile.type", message: "must not be Unconfined" });

    // Restricted, pod level
    if (pod.runAsUser === 0) v.push({ rule: "Running as Non-root user", path: "spec.securityContext.runAsUser", message: "must not be 0" });

    for (const { path, container } of containers) {
        const sc = container.securityContext ?? {};
        if (sc.privileged) v.push({ rule: "Privileged Containers", path: `${path}.securityContext.privileged`, message: "must not be true" });
        if (sc.windowsOptions?.hostProcess) v.push({ rule: "HostProcess", path: `${path}.securityContext.windowsOptions.hostProcess`, message: "must not be true" });
        for (const [j, port] of (container.ports ?? []).entries()) {
            if (port.hostPort) v.push({ rule: "Host Ports", path: `${path}.ports[${j}].hostPort`, message: "must be unset or 0" });
        }
        if (sc.procMount && sc.procMount !== "Default") v.push({ rule: "/proc Mount Type", path: `${path}.securityContext.procMount`, message: "must be Default" });
        if (sc.seLinuxOptions && (!SELINUX_TYPES.has(sc.seLinuxOptions.type ?? "") || sc.seLinuxOptions.user || sc.seLinuxOptions.role)) {
            v.push({ rule: "SELinux", path: `${path}.securityContext.seLinuxOptions`, message: "custom SELinux user/role or type is forbidden" });
        }
        if (sc.appArmorProfile?.type === "Unconfined") v.push({ rule: "AppArmor", path: `${path}.securityContext.appArmorProfile.type`, message: "must not be Unconfined" });

        if (sc.allowPrivilegeEscalation !== false) {
            v.push({ rule: "Privilege Escalation", path: `${path}.securityContext.allowPrivilegeEscalation`, message: "must be false" });
        }
        const runAsNonRoot = sc.runAsNonRoot ?? pod.runAsNonRoot;
        if (runAsNonRoot !== true) v.push({ rule: "Running as Non-root", path: `${path}.securityContext.runAsNonRoot`, message: "must be true at pod or container level" });
        if (sc.runAsUser === 0) v.push({ rule: "Running as Non-root user", path: `${path}.securityContext.runAsUser`, message: "must not be 0" });
        const seccomp = sc.seccompProfile?.type ?? podSeccomp;
        if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") {
            v.push({ rule: "Seccomp", path: `${path}.securityContext.seccompProfile.type`, message: "must be RuntimeDefault or Localhost at pod or container level" });
        }
        const drop: string[] = sc.capabilities?.drop ?? [];
        if (!drop.includes("ALL")) v.push({ rule: "Capabilities", path: `${path}.securityContext.capabilities.drop`, message: "must include ALL" });
        for (const added of sc.capabilities?.add ?? []) {
            if (added !== "NET_BIND_SERVICE") v.push({ rule: "Capabilities", path: `${path}.securityContext.capabilities.add`, message: `may add only NET_BIND_SERVICE, not ${added}` });
            if (!BASELINE_CAPABILITIES.has(added)) v.push({ rule: "Capabilities (baseline)", path: `${path}.securityContext.capabilities.add`, message: `${added} is beyond the baseline set` });
        }
    }
    return v;
}
