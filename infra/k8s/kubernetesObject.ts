/**
 * A Kubernetes object as plain data: what the engine-free render produces, what the review
 * rules and the docker-run plan read. Its own home so readers need not import the render.
 */

/** A Kubernetes object as plain data (apiVersion, kind, metadata.name at least). */
export interface KubernetesObject {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string; [key: string]: unknown };
    [key: string]: unknown;
}
