/**
 * Kubernetes recommended labels (https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/).
 * `selectorLabels` is the immutable subset used by the Deployment selector, the Service and the
 * NetworkPolicy; `commonLabels` (every object) adds the mutable ones. Kept apart, as Bitnami's
 * `common.labels.matchLabels` and `common.labels.standard`, so a version change never touches a selector.
 */

/** Labels that select the RAGstar pods; never change them on a live Deployment (the selector is immutable). */
export function selectorLabels(instance: string): Record<string, string> {
    return { "app.kubernetes.io/name": "ragstar", "app.kubernetes.io/instance": instance };
}

/** All recommended labels for objects of one stack. */
export function commonLabels(instance: string, version: string): Record<string, string> {
    return {
        ...selectorLabels(instance),
        "app.kubernetes.io/version": version,
        "app.kubernetes.io/component": "api",
        "app.kubernetes.io/part-of": "ragstar",
        "app.kubernetes.io/managed-by": "pulumi",
    };
}

/**
 * The Namespace's Pod Security Admission labels: enforce, audit and warn on the "restricted"
 * profile (https://kubernetes.io/docs/concepts/security/pod-security-admission/), so the API
 * server refuses a pod that drops any of the hardening.
 */
export function podSecurityLabels(): Record<string, string> {
    return {
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/warn": "restricted",
    };
}
