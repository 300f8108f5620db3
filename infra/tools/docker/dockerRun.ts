/**
 * A rendered Deployment → the `docker run` that runs its container the way the kubelet
 * would: same user and groups, read-only root filesystem, capabilities, no-new-privileges,
 * Docker's default seccomp profile for RuntimeDefault, environment, memory and cpu limits,
 * the ConfigMap and Secret as read-only files, a tmpfs where the pod has an emptyDir and a
 * named volume where it has a PersistentVolumeClaim. Pure: the image tests and the
 * benchmark derive their settings from the render through this one function, so there is
 * no second, hand-written list of hardening flags.
 *
 * Mapping references: https://docs.docker.com/reference/cli/docker/container/run/ and
 * https://kubernetes.io/docs/tasks/configure-pod-container/security-context/
 */
import * as path from "node:path";

import type { KubernetesObject } from "../../k8s/kubernetesObject";
import { podContainers, podSpecOf } from "../../k8s/podContainers";
import { quantityValue } from "./quantity";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A file the caller writes on the host before `docker run` (ConfigMap and Secret contents). */
export interface HostFile {
    /** Path relative to the plan's host directory. */
    relativePath: string;
    content: string;
    /** File mode, e.g. 0o440 for a Secret file. */
    mode: number;
    /** Group owner to set (the pod's fsGroup, as the kubelet does for Secret volumes), or undefined. */
    group?: number;
}

/** Everything needed to run the container under `docker run`. */
export interface DockerRunPlan {
    /** Arguments for `docker run` before the image reference (no `--name`, `-d` or image). */
    args: string[];
    files: HostFile[];
    /** Named Docker volumes standing in for PersistentVolumeClaims. */
    volumes: string[];
    /** Seconds the pod allows between SIGTERM and SIGKILL. */
    terminationGracePeriodSeconds: number;
    /** The container spec, for its probes and ports. */
    container: Obj;
}

/** Options: where host files go, how named volumes are named, and the values of secrets. */
export interface DockerRunOptions {
    /** Host directory that holds the ConfigMap and Secret files. */
    hostDir: string;
    /** Prefix for named volumes, e.g. `ragstar-test-`; the claim name is appended. */
    volumePrefix: string;
    /** Secret key → value, used for Secret volumes (the render only knows `[secret]`). */
    secretValues?: Record<string, string>;
}

/**
 * Plan the `docker run` for the first container of `deployment`.
 *
 * @param objects the stack's rendered objects (the ConfigMaps and Secrets its volumes name)
 * @throws Error for a volume type or field with no faithful Docker equivalent
 */
export function dockerRunPlan(deployment: KubernetesObject, objects: KubernetesObject[], options: DockerRunOptions): DockerRunPlan {
    const pod = podSpecOf(deployment as Obj);
    const container = pod && podContainers(pod, ["containers"])[0]?.container;
    if (!pod || !container) throw new Error(`${deployment.kind} ${deployment.metadata.name} has no pod spec with a container`);
    const podContext: Obj = pod.securityContext ?? {};
    const context: Obj = { ...podContext, ...(container.securityContext ?? {}) };
    const args: string[] = [];
    const files: HostFile[] = [];
    const volumes: string[] = [];

    if (context.runAsUser !== undefined) args.push("--user", `${context.runAsUser}${context.runAsGroup !== undefined ? `:${context.runAsGroup}` : ""}`);
    if (podContext.fsGroup !== undefined) args.push("--group-add", String(podContext.fsGroup));
    for (const group of podContext.supplementalGroups ?? []) args.push("--group-add", String(group));
    if (context.readOnlyRootFilesystem) args.push("--read-only");
    if (context.allowPrivilegeEscalation === false) args.push("--security-opt", "no-new-privileges");
    if (context.privileged) args.push("--privileged");
    for (const capability of context.capabilities?.drop ?? []) args.push("--cap-drop", capability);
    for (const capability of context.capabilities?.add ?? []) args.push("--cap-add", capability);
    const seccomp = context.seccompProfile?.type;
    // RuntimeDefault is the runtime's default profile: Docker applies its own unless told otherwise.
    if (seccomp === "Unconfined") args.push("--security-opt", "seccomp=unconfined");
    else if (seccomp !== undefined && seccomp !== "RuntimeDefault") throw new Error(`seccompProfile ${seccomp} has no docker run equivalent here`);

    for (const variable of container.env ?? []) {
        if (variable.valueFrom) throw new Error(`env ${variable.name} uses valueFrom, which docker run cannot resolve`);
        args.push("--env", `${variable.name}=${variable.value}`);
    }
    const limits = container.resources?.limits ?? {};
    if (limits.memory) args.push("--memory", String(Math.floor(quantityValue(limits.memory))));
    if (limits.cpu) args.push("--cpus", String(quantityValue(limits.cpu)));

    const byName = new Map<string, Obj>((pod.volumes ?? []).map((v: Obj) => [v.name, v]));
    const find = (kind: string, name: string) => {
        const object = objects.find((o) => o.kind === kind && o.metadata.name === name);
        if (!object) throw new Error(`${kind} ${name} named by a volume is not in the render`);
        return object as Obj;
    };
    for (const mount of container.volumeMounts ?? []) {
        const volume = byName.get(mount.name);
        if (!volume) throw new Error(`volumeMount ${mount.name} has no volume`);
        const readOnly = mount.readOnly ? ",readonly" : "";
        if (volume.emptyDir) {
            const size = volume.emptyDir.sizeLimit ? `,size=${Math.floor(quantityValue(volume.emptyDir.sizeLimit))}` : "";
            args.push("--tmpfs", `${mount.mountPath}:rw,nosuid,nodev,mode=1777${size}`);
        } else if (volume.persistentVolumeClaim) {
            const name = `${options.volumePrefix}${volume.persistentVolumeClaim.claimName}`;
            volumes.push(name);
            args.push("--mount", `type=volume,src=${name},dst=${mount.mountPath}${readOnly}`);
        } else if (volume.configMap || volume.secret) {
            const source = volume.configMap ? find("ConfigMap", volume.configMap.name) : find("Secret", volume.secret.secretName);
            const dir = path.join(options.hostDir, mount.name);
            const entries: Record<string, string> = volume.configMap ? source.data ?? {} : source.stringData ?? {};
            for (const [key, value] of Object.entries(entries)) {
                const content = volume.secret ? options.secretValues?.[key] : value;
                if (content === undefined) throw new Error(`no value given for secret key ${key}`);
                const mode = volume.secret ? (volume.secret.defaultMode ?? 0o644) : (volume.configMap.defaultMode ?? 0o644);
                files.push({ relativePath: path.join(mount.name, key), content, mode, group: volume.secret ? podContext.fsGroup : undefined });
            }
            args.push("--mount", `type=bind,src=${dir},dst=${mount.mountPath},readonly`);
        } else {
            throw new Error(`volume ${mount.name} of type ${Object.keys(volume).filter((k) => k !== "name").join(",")} has no docker run equivalent here`);
        }
    }
    const terminationGracePeriodSeconds = pod.terminationGracePeriodSeconds ?? 30;
    args.push("--stop-timeout", String(terminationGracePeriodSeconds));
    return { args, files, volumes, terminationGracePeriodSeconds, container };
}
