/**
 * The RAGstar container and the pod around it, from already validated values: the hardened
 * securityContexts (securityContext.ts), the derived probes, the digest-pinned image, the
 * service's environment (config, data and secret file paths) and the volumes (mounts.ts).
 * The pod's secure defaults live here, in one place: no service-account token, no service links.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

import { SERVICE_SECRETS } from "../config/serviceSecrets";
import type { PlainStackConfig } from "../config/stackConfig";
import type { Toleration } from "../config/tolerations";
import type { ProbeSet } from "../probes/types";
import { podVolumes, secretFilePath } from "./mounts";
import { containerSecurityContext, podSecurityContext } from "./securityContext";
import { topologySpreadConstraints } from "./topologySpread";

export const CONTAINER_NAME = "ragstar";
/** Name of the container's port; the Service's targetPort and the NetworkPolicy's ingress port refer to it. */
export const CONTAINER_PORT_NAME = "http";

/**
 * The environment variable through which the service reads secret `file`, from the service
 * secrets table: `admin_token` → `RAGSTAR_ADMIN_TOKEN_FILE`.
 *
 * @throws Error for a file that is no service secret's (a programming error: files come from the table)
 */
export function secretFileVariable(file: string): string {
    const secret = SERVICE_SECRETS.find((row) => row.fileName === file);
    if (!secret) throw new Error(`${file} is not a service secret's file`);
    return secret.envVar;
}

/** What the program derives from the Dockerfile (and `ragstar:app.db_path`) for the container. */
export interface ContainerFacts {
    /** Derived probes, or null when the stack explicitly opted out (no probe fields at all). */
    probes: ProbeSet | null;
    /** Container port the Service targets, 1–65535: the HTTP probe's, else the first TCP port the stage EXPOSEs. */
    containerPort: number;
    /** Absolute path of ragstar.yaml in the container (RAGSTAR_CONFIG_PATH). */
    configPath: string;
    /** Absolute path of the data directory in the container (RAGSTAR_DB_PATH), the data claim's mount path; unused in the postgres mode. */
    dataPath: string;
}

/** Inputs of `ragstarPodSpec`, all already validated. */
export interface PodSpecArgs extends ContainerFacts {
    /** The stack name (`app.kubernetes.io/instance`): the spread constraints count its pods. */
    instance: string;
    config: Pick<PlainStackConfig, "database" | "runAsUser" | "resources" | "tmpSizeLimit" | "terminationGracePeriodSeconds" | "nodeSelector" | "tolerations">;
    /** Digest-pinned image reference `REGISTRY/REPO@sha256:…`. */
    image: pulumi.Input<string>;
    /** Secret file names (e.g. `admin_token`), sorted; each becomes a `RAGSTAR_<NAME>_FILE` variable. */
    secretFiles: string[];
    /**
     * Names of the objects the pod refers to. The component passes the registered objects' name
     * outputs, so the Deployment depends on each of them.
     */
    objects: {
        serviceAccount: pulumi.Input<string>;
        configMap: pulumi.Input<string>;
        /** The data claim; unset in the postgres mode, which has none (no volume, no RAGSTAR_DB_PATH). */
        dataClaim?: pulumi.Input<string>;
        /** The Secret of the secret files; set exactly when `secretFiles` is not empty. */
        secret?: pulumi.Input<string>;
        /** The pull Secret the kubelet uses; unset: no `imagePullSecrets` field. */
        imagePullSecret?: pulumi.Input<string>;
    };
}

/**
 * The one container: its port named `http`, the environment (paths only; secrets are files, never
 * values in the environment), the stack's requests and limits, the hardened securityContext, the
 * probes and `volumeMounts`. `imagePullPolicy: IfNotPresent`, since a digest cannot change.
 */
export function ragstarContainer(
    args: Omit<PodSpecArgs, "objects" | "instance">,
    volumeMounts: k8s.types.input.core.v1.VolumeMount[],
    withData = true,
): k8s.types.input.core.v1.Container {
    const probes = args.probes
        ? { livenessProbe: args.probes.livenessProbe, readinessProbe: args.probes.readinessProbe, startupProbe: args.probes.startupProbe }
        : {};
    return {
        name: CONTAINER_NAME,
        image: args.image,
        imagePullPolicy: "IfNotPresent",
        ports: [{ name: CONTAINER_PORT_NAME, containerPort: args.containerPort, protocol: "TCP" }],
        env: [
            { name: "RAGSTAR_CONFIG_PATH", value: args.configPath },
            ...(withData ? [{ name: "RAGSTAR_DB_PATH", value: args.dataPath }] : []),
            ...args.secretFiles.map((file) => ({ name: secretFileVariable(file), value: secretFilePath(file) })),
        ],
        resources: args.config.resources,
        securityContext: containerSecurityContext(args.config.runAsUser),
        ...probes,
        volumeMounts,
    };
}

/**
 * One toleration as the pod spec writes it: the fields the stack set, an empty key or value left
 * out (the API server reads an absent one as empty), `operator` always written.
 */
export function podToleration(toleration: Toleration): k8s.types.input.core.v1.Toleration {
    return {
        ...(toleration.key ? { key: toleration.key } : {}),
        operator: toleration.operator,
        ...(toleration.value ? { value: toleration.value } : {}),
        ...(toleration.effect !== undefined ? { effect: toleration.effect } : {}),
        ...(toleration.tolerationSeconds !== undefined ? { tolerationSeconds: toleration.tolerationSeconds } : {}),
    };
}

/**
 * The pod spec: the hardened pod securityContext for `config.runAsUser`, no service-account token
 * and no service-link variables, the stack's termination grace period, the node placement
 * (`ragstar:nodeSelector`, `ragstar:tolerations`; each field left out when empty, so a stack
 * without them renders as before; in the postgres mode the spread over nodes and zones,
 * topologySpread.ts), the pull Secret (named here so a reviewer sees it in the
 * Deployment), the container and its volumes.
 */
export function ragstarPodSpec(args: PodSpecArgs): k8s.types.input.core.v1.PodSpec {
    const { objects } = args;
    const { volumes, volumeMounts } = podVolumes({
        configPath: args.configPath,
        dataPath: args.dataPath,
        tmpSizeLimit: args.config.tmpSizeLimit,
        configMapName: objects.configMap,
        claimName: objects.dataClaim,
        secretName: objects.secret,
    });
    return {
        serviceAccountName: objects.serviceAccount,
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        terminationGracePeriodSeconds: args.config.terminationGracePeriodSeconds,
        securityContext: podSecurityContext(args.config.runAsUser),
        ...(Object.keys(args.config.nodeSelector).length > 0 ? { nodeSelector: args.config.nodeSelector } : {}),
        ...(args.config.tolerations.length > 0 ? { tolerations: args.config.tolerations.map(podToleration) } : {}),
        ...(args.config.database === "postgres" ? { topologySpreadConstraints: topologySpreadConstraints(args.instance) } : {}),
        ...(objects.imagePullSecret !== undefined ? { imagePullSecrets: [{ name: objects.imagePullSecret }] } : {}),
        containers: [ragstarContainer(args, volumeMounts, objects.dataClaim !== undefined)],
        volumes,
    };
}
