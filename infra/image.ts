/**
 * The image the Deployment runs, always as a digest-pinned reference: either built from
 * the repository's Dockerfile with BuildKit and pushed (the Deployment then uses the
 * registry's `repoDigest`, never the tag), or an existing `REGISTRY/REPO@sha256:…`
 * named in the stack config (promotion: build once, deploy the same digest everywhere).
 */
import * as path from "node:path";

import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";

import type { StackConfig } from "./config/stackConfig";

/** The image to deploy and, when this stack builds it, the `docker.Image` resource. */
export interface ImageSource {
    /** `REGISTRY/REPO@sha256:<64 hex>`. */
    reference: pulumi.Output<string>;
    built?: docker.Image;
}

/** Tag the build cache is kept under, next to the pushed image. */
export const BUILD_CACHE_TAG = "buildcache";

/**
 * Build and push, or take the configured digest-pinned reference.
 *
 * @param rootDir repository root; `image.context` and `image.dockerfile` are relative to it
 * @param stack stack name, used as the pushed tag (the digest is what gets deployed)
 */
export function imageSource(config: StackConfig, rootDir: string, stack: string): ImageSource {
    const image = config.image;
    if (image.ref !== undefined) return { reference: pulumi.output(image.ref) };
    const repository = `${image.registry}/${image.repository}`;
    const cacheImage = `${repository}:${BUILD_CACHE_TAG}`;
    const built = new docker.Image("ragstar-image", {
        imageName: `${repository}:${stack}`,
        build: {
            context: path.resolve(rootDir, image.context),
            dockerfile: path.resolve(rootDir, image.dockerfile),
            target: image.target,
            platform: image.platform,
            builderVersion: "BuilderBuildKit",
            // Inline cache metadata lets the next build reuse layers straight from the registry.
            ...(image.buildCache ? { cacheFrom: { images: [cacheImage] }, args: { BUILDKIT_INLINE_CACHE: "1" } } : {}),
        },
        registry: {
            server: image.registry?.split("/")[0],
            ...(image.username !== undefined ? { username: image.username, password: config.registryPassword } : {}),
        },
    });
    return { reference: built.repoDigest, built };
}
