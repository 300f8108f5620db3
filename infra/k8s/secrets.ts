/**
 * The bodies of the stack's two kinds of Secret: the service's secret files (mounted, mounts.ts)
 * and the kubelet's registry credentials. Values stay `pulumi.Input`s, so a Pulumi secret stays one
 * on its way into `stringData`.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

/** `type` and `stringData` of a Secret. */
export type SecretBody = Pick<k8s.types.input.core.v1.Secret, "type" | "stringData">;

/**
 * The service's secret files, one key each, in the order of `files`.
 *
 * @param files file names (e.g. `admin_token`), sorted
 * @param values file name → value (a Pulumi secret)
 */
export function serviceSecretBody(files: string[], values: Record<string, pulumi.Input<string>>): SecretBody {
    return { type: "Opaque", stringData: Object.fromEntries(files.map((file) => [file, values[file]])) };
}

/** @param dockerConfigJson the `.dockerconfigjson` text (see `dockerConfigJson` in pullSecret.ts), a Pulumi secret */
export function pullSecretBody(dockerConfigJson: pulumi.Input<string>): SecretBody {
    return { type: "kubernetes.io/dockerconfigjson", stringData: { ".dockerconfigjson": dockerConfigJson } };
}
