/**
 * Where the container's volumes are mounted, and which paths may not be used for a mount.
 */
import * as path from "node:path";

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
