/**
 * The pod's volumes and where the container mounts them (config, data, tmp, secrets), and which
 * paths may not be used for a mount. Pure: volume sources that name another object take its name
 * as a `pulumi.Input`, so the component passes the registered object's name output and the
 * Deployment keeps its dependency on that object.
 */
import * as path from "node:path";

import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

/** Where the Secret's files are mounted; the service reads `RAGSTAR_<KEY>_FILE` from here. */
export const SECRETS_MOUNT_PATH = "/run/secrets/ragstar";
/** Mode of the mounted secret files: owner and group (fsGroup) may read, nobody else. */
export const SECRET_FILE_MODE = 0o440;
/** The writable scratch directory: an emptyDir, since the root filesystem is read-only. */
export const TMP_MOUNT_PATH = "/tmp";

/** A mount the pod declares besides the one being checked. */
export interface MountPoint {
    /** Volume name, for messages. */
    name: string;
    /** Absolute path in the container. */
    mountPath: string;
}

/**
 * Why `mountPath` cannot be mounted beside `others`, or undefined.
 *
 * Rules: absolute and normalised (no `.`, `..`, `//` or trailing `/`, so equal paths are equal
 * strings); not `/`; neither equal to another mount (the API server refuses it: "must be
 * unique", pkg/apis/core/validation ValidateVolumeMounts) nor inside or around one (the API
 * server accepts that, but the kubelet then mounts one volume inside another: the data
 * directory inside the read-only config volume cannot be created, and around /tmp it would
 * hide the data under the emptyDir).
 *
 * @returns one phrase: what is wrong and what is allowed
 */
export function mountPathProblem(mountPath: string, others: MountPoint[]): string | undefined {
    if (!path.posix.isAbsolute(mountPath)) return "must be an absolute path in the container, e.g. /app/ragstar_db";
    if (mountPath === "/") return "must not be / : a volume cannot be mounted over the container's root";
    if (path.posix.normalize(mountPath) !== mountPath || mountPath.endsWith("/")) return `must be a normalised absolute path (${path.posix.normalize(mountPath).replace(/(.)\/$/, "$1")})`;
    for (const other of others) {
        if (other.mountPath === mountPath) return `collides with the ${other.name} volume mounted at ${other.mountPath}; use a path of its own, e.g. /app/ragstar_db`;
        if (other.mountPath.startsWith(`${mountPath}/`) || mountPath.startsWith(`${other.mountPath}/`)) {
            return `overlaps the ${other.name} volume mounted at ${other.mountPath}; use a path outside every other mount, e.g. /app/ragstar_db`;
        }
    }
    return undefined;
}

/**
 * The mounts the data directory must stay clear of, in the order they are checked: the config
 * directory (the directory of `configPath`, the ConfigMap's file inside it), /tmp and the secrets
 * directory. The secrets directory counts even for a stack without secrets, so adding a secret
 * later cannot turn a valid data path into a collision.
 *
 * @param configPath absolute path of ragstar.yaml in the container (RAGSTAR_CONFIG_PATH)
 */
export function mountsBesideData(configPath: string): MountPoint[] {
    return [
        { name: "config", mountPath: path.posix.dirname(configPath) },
        { name: "tmp", mountPath: TMP_MOUNT_PATH },
        { name: "secrets", mountPath: SECRETS_MOUNT_PATH },
    ];
}

/** Path of one secret file in the container, e.g. `/run/secrets/ragstar/admin_token`. */
export function secretFilePath(file: string): string {
    return `${SECRETS_MOUNT_PATH}/${file}`;
}

/** Inputs of `podVolumes`. */
export interface PodVolumesArgs {
    /** Absolute path of ragstar.yaml in the container; its directory is the config mount. */
    configPath: string;
    /** Absolute path of the data directory in the container, already checked with `mountPathProblem`. */
    dataPath: string;
    /** Size limit of the /tmp emptyDir, a Kubernetes quantity such as `64Mi`. */
    tmpSizeLimit: string;
    /** Name of the ConfigMap holding ragstar.yaml. */
    configMapName: pulumi.Input<string>;
    /** Name of the data PersistentVolumeClaim; unset in the postgres mode (no data volume, no mount). */
    claimName?: pulumi.Input<string>;
    /** Name of the Secret holding the service's secret files; unset when the stack has none (no volume, no mount). */
    secretName?: pulumi.Input<string>;
}

/**
 * The pod's volumes and the container's mounts of them, in the same order: the config
 * directory (read-only), the data claim (when there is one), a size-limited /tmp (the root filesystem is read-only)
 * and, with secrets, the secret files (read-only, mode 0440).
 */
export function podVolumes(args: PodVolumesArgs): { volumes: k8s.types.input.core.v1.Volume[]; volumeMounts: k8s.types.input.core.v1.VolumeMount[] } {
    const [config, tmp, secrets] = mountsBesideData(args.configPath);
    const withSecrets = args.secretName !== undefined;
    const claimName = args.claimName;
    return {
        volumes: [
            { name: config.name, configMap: { name: args.configMapName } },
            ...(claimName !== undefined ? [{ name: "data", persistentVolumeClaim: { claimName } }] : []),
            { name: tmp.name, emptyDir: { sizeLimit: args.tmpSizeLimit } },
            ...(withSecrets ? [{ name: secrets.name, secret: { secretName: args.secretName, defaultMode: SECRET_FILE_MODE } }] : []),
        ],
        volumeMounts: [
            { name: config.name, mountPath: config.mountPath, readOnly: true },
            ...(claimName !== undefined ? [{ name: "data", mountPath: args.dataPath }] : []),
            { name: tmp.name, mountPath: tmp.mountPath },
            ...(withSecrets ? [{ name: secrets.name, mountPath: secrets.mountPath, readOnly: true }] : []),
        ],
    };
}
