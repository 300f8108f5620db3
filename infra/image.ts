/**
 * The image the Deployment runs, always as a digest-pinned reference: built from the
 * repository's Dockerfile with BuildKit and pushed (the Deployment then uses the registry's
 * `repoDigest`, never the tag); or an existing `REGISTRY/REPO@sha256:…` named in the stack
 * config; or another stack's `image` output through a StackReference (promotion: build
 * once, deploy the same digest everywhere; see docs/promotion.md).
 */
import * as path from "node:path";

import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";

import { imagePullPlan } from "./config/imagePull";
import type { StackConfig } from "./config/stackConfig";
import { DIGEST_PINNED_REFERENCE, firstComponent } from "./imageReference";
import { dockerConfigJson, registryHost } from "./k8s/pullSecret";

/**
 * Build arguments the image is built with: the stack's `image.buildArgs` (checked against the
 * Dockerfile's ARGs by the program) and the application UID, so the image's USER is the pod's
 * runAsUser. The Dockerfile reader applies the same values.
 */
export function imageBuildArgs(config: { runAsUser: number; image?: { buildArgs?: Record<string, string> } }): Record<string, string> {
    return { ...(config.image?.buildArgs ?? {}), APP_UID: String(config.runAsUser) };
}

/** The image to deploy and, when this stack builds it, the `docker.Image` resource. */
export interface ImageSource {
    /** `REGISTRY/REPO@sha256:<64 hex>`. */
    reference: pulumi.Output<string>;
    built?: docker.Image;
}

/**
 * Build and push, or take the configured digest-pinned reference.
 *
 * @param rootDir repository root; `image.context` and `image.dockerfile` are relative to it
 * @param stack stack name, used as the pushed tag (the digest is what gets deployed)
 */
export function imageSource(config: StackConfig, rootDir: string, stack: string): ImageSource {
    const image = config.image;
    if (image.ref !== undefined) return { reference: pulumi.output(image.ref) };
    if (image.fromStack !== undefined) {
        const source = new pulumi.StackReference(`ragstar-image-from-${image.fromStack.replace(/\//g, "-")}`, { name: image.fromStack });
        const reference = source.requireOutput("image").apply((value) => {
            const text = String(value);
            if (!DIGEST_PINNED_REFERENCE.test(text)) {
                throw new Error(`stack ${image.fromStack} output "image" is ${JSON.stringify(text)}, which is not pinned by digest (REGISTRY/REPOSITORY@sha256:<64 hex>); promote only digests`);
            }
            return text;
        });
        return { reference };
    }
    const repository = `${image.registry}/${image.repository}`;
    const imageName = `${repository}:${stack}`;
    const built = new docker.Image("ragstar-image", {
        imageName,
        build: {
            context: path.resolve(rootDir, image.context),
            dockerfile: path.resolve(rootDir, image.dockerfile),
            target: image.target,
            platform: image.platform,
            builderVersion: "BuilderBuildKit",
            // Registry build cache: the pushed image carries BuildKit's inline cache metadata, and the
            // next build of this stack reuses its layers from the registry (docker.Image pushes only this tag).
            args: { ...imageBuildArgs(config), ...(image.buildCache ? { BUILDKIT_INLINE_CACHE: "1" } : {}) },
            ...(image.buildCache ? { cacheFrom: { images: [imageName] } } : {}),
        },
        registry: {
            server: image.registry === undefined ? undefined : firstComponent(image.registry),
            ...(image.username !== undefined ? { username: image.username, password: config.registryPassword } : {}),
        },
    });
    return { reference: built.repoDigest, built };
}

/** The pod's pull Secret: its name and, when the stack manages it, its `.dockerconfigjson` (a Pulumi secret). */
export interface ImagePullSecret {
    name: string;
    dockerConfigJson?: pulumi.Output<string>;
}

/**
 * The pull Secret of `ragstar:image.pullSecret` (config/imagePull.ts), or undefined for none. The
 * managed one's registry is the host of `image.registry`, else of the deployed reference (image.ref,
 * or another stack's output); its JSON is built inside `apply` from the secret password, so it stays secret.
 */
export function imagePullSecret(config: Pick<StackConfig, "image" | "registryPassword">, reference: pulumi.Output<string>): ImagePullSecret | undefined {
    const { image, registryPassword } = config;
    const plan = imagePullPlan(image, registryPassword !== undefined);
    if (plan.kind === "none") return undefined;
    if (plan.kind === "existing" || image.username === undefined || registryPassword === undefined) return { name: plan.name };
    const username = image.username;
    const host = image.registry !== undefined ? pulumi.output(registryHost(`${image.registry}/${image.repository}`)) : reference.apply(registryHost);
    const json = pulumi.all([host, registryPassword]).apply(([h, password]) => dockerConfigJson(h, username, password));
    return { name: plan.name, dockerConfigJson: pulumi.secret(json) };
}
