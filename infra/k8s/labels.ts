/**
 * Kubernetes recommended labels (https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/).
 * `selectorLabels` is the immutable subset used by the Deployment selector and the Service.
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
