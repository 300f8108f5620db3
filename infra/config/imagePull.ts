/**
 * `ragstar:image.pullSecret`: which `imagePullSecrets` the pod gets, decided from the plain
 * config and whether `ragstar:registryPassword` is set. Pure: no Pulumi, no secret values.
 *
 * - unset: a managed Secret `ragstar-registry` from `image.username` + `registryPassword` when both
 *   are set, else no pull secret;
 * - a Secret name: reference that existing `kubernetes.io/dockerconfigjson` Secret of the namespace;
 *   `image.username` (if any) is then only for the push;
 * - `none`: no pull secret (the nodes carry registry credentials).
 */
import { MANAGED_PULL_SECRET_NAME } from "../k8s/pullSecret";
import type { ConfigProblem } from "./problem";
import { SERVICE_SECRET_NAME } from "./serviceSecrets";


/** What the pod pulls with. */
export type ImagePullPlan = { kind: "none" } | { kind: "managed"; name: string } | { kind: "existing"; name: string };

/** The image keys this module reads. */
export interface ImagePullConfig {
    registry?: string;
    ref?: string;
    fromStack?: string;
    username?: string;
    pullSecret?: string;
}

/**
 * Contradictory or incomplete pull/push credentials: key, value, what is allowed. Structured,
 * so the caller masks the values when `ragstar:image` is held as secret; never names the
 * password's value, only whether it is set.
 */
export function imagePullProblems(image: ImagePullConfig, hasPassword: boolean): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    const { username, pullSecret } = image;
    if (username !== undefined && !hasPassword) {
        problems.push({ path: ["registryPassword"], value: undefined, message: "required because ragstar:image.username is set; set it with `pulumi config set --secret ragstar:registryPassword`" });
    }
    if (username === undefined && hasPassword) {
        problems.push({ path: ["image", "username"], value: undefined, message: "required because ragstar:registryPassword is set (the registry user for the push and the managed pull Secret)" });
    }
    if (pullSecret === MANAGED_PULL_SECRET_NAME || pullSecret === SERVICE_SECRET_NAME) {
        problems.push({
            path: ["image", "pullSecret"],
            value: pullSecret,
            message: `is a Secret this stack manages; name another existing kubernetes.io/dockerconfigjson Secret, unset it for the managed ${MANAGED_PULL_SECRET_NAME}, or none`,
        });
    }
    // Without a build nothing is pushed, so the credentials could only serve the pull, which pullSecret rules out.
    if (username !== undefined && image.registry === undefined && pullSecret !== undefined) {
        problems.push({
            path: ["image", "username"],
            value: username,
            message: "unused: without image.registry nothing is pushed, and image.pullSecret {pullSecret} means the pod does not pull with it; unset image.pullSecret for a managed pull Secret, or remove image.username and ragstar:registryPassword",
            mentions: { pullSecret: { path: ["image", "pullSecret"], text: JSON.stringify(pullSecret) } },
        });
    }
    return problems;
}

/** The plan for a config `imagePullProblems` accepted. */
export function imagePullPlan(image: ImagePullConfig, hasPassword: boolean): ImagePullPlan {
    if (image.pullSecret === "none") return { kind: "none" };
    if (image.pullSecret !== undefined) return { kind: "existing", name: image.pullSecret };
    return image.username !== undefined && hasPassword ? { kind: "managed", name: MANAGED_PULL_SECRET_NAME } : { kind: "none" };
}
