/**
 * The hardening this package applies to every RAGstar pod. These satisfy the Pod Security
 * Standard "restricted" profile (https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted)
 * and go beyond it where the service allows (read-only root filesystem, no service links,
 * no service-account token). docs/security.md explains each field.
 */

/**
 * The package's default UID and GID (ragstar:runAsUser): the Dockerfile's numeric `USER`
 * (build argument APP_UID, 1000). Below the review threshold HIGH_UID, hence the waivers.
 */
export const DEFAULT_RUN_AS_USER = 1000;

/** core/v1 PodSecurityContext fields set by this package. */
export interface PodSecurityContext {
    runAsNonRoot: true;
    runAsUser: number;
    runAsGroup: number;
    fsGroup: number;
    fsGroupChangePolicy: "OnRootMismatch";
    seccompProfile: { type: "RuntimeDefault" };
}

/** core/v1 SecurityContext (container) fields set by this package. */
export interface ContainerSecurityContext {
    allowPrivilegeEscalation: false;
    privileged: false;
    readOnlyRootFilesystem: true;
    runAsNonRoot: true;
    runAsUser: number;
    runAsGroup: number;
    capabilities: { drop: ["ALL"] };
}

/**
 * Pod-level security context for `uid` (also the GID and the volume group).
 * `fsGroupChangePolicy: OnRootMismatch` avoids a recursive chown of the data volume on every start.
 */
export function podSecurityContext(uid: number): PodSecurityContext {
    return {
        runAsNonRoot: true,
        runAsUser: uid,
        runAsGroup: uid,
        fsGroup: uid,
        fsGroupChangePolicy: "OnRootMismatch",
        seccompProfile: { type: "RuntimeDefault" },
    };
}

/** Container-level security context for `uid`; repeated at container level so it holds even if the pod level is edited. */
export function containerSecurityContext(uid: number): ContainerSecurityContext {
    return {
        allowPrivilegeEscalation: false,
        privileged: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        runAsUser: uid,
        runAsGroup: uid,
        capabilities: { drop: ["ALL"] },
    };
}

/**
 * Check the configured UID against the Dockerfile's effective USER.
 *
 * @param user the USER value (`1000`, `1000:1000`, `appuser`), or undefined when the stage sets none
 * @returns an error message, or undefined when the image runs as exactly `uid`
 */
export function userMismatch(user: string | undefined, uid: number): string | undefined {
    if (user === undefined) {
        return `the image sets no USER, so it runs as its base image's user (root for python images); add USER ${uid}:${uid}`;
    }
    const [name, group] = user.split(":");
    if (!/^\d+$/.test(name)) {
        return `USER ${user} names a user; use the numeric USER ${uid}:${uid}. A name's UID is only known from the image's /etc/passwd, so it cannot be checked against ragstar:runAsUser ${uid} here, and wherever runAsUser is not set the kubelet cannot verify runAsNonRoot for a named user and refuses to start the container`;
    }
    if (Number(name) === 0) return `USER ${user} is root; the pod runs with runAsNonRoot and would be refused`;
    if (Number(name) !== uid) {
        return `USER ${user} runs as UID ${name} but the stack config sets ragstar:runAsUser ${uid}; make them equal, or files owned by one would be unreadable for the other`;
    }
    if (group !== undefined && !(/^\d+$/.test(group) && Number(group) === uid)) {
        return `USER ${user} has group ${group}, but the pod runs with runAsGroup ${uid}; use USER ${uid}:${uid}`;
    }
    return undefined;
}
