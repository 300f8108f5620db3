/**
 * An image derived from the pushed project image (its HEALTHCHECK, USER, EXPOSE and ENV kept) with
 * a few Dockerfile lines appended, built with BuildKit and pushed to the registry of
 * scripts/with-image-infra; for stacks whose image must misbehave on purpose.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { buildImage, dockerOk, pushImage } from "../../../infra/tools/docker/docker";

/**
 * @param base the digest-pinned project image (pushedImage())
 * @param lines Dockerfile lines after `FROM base`
 * @param repository the registry repository to push to; `tag` its tag
 * @returns the digest-pinned reference of the pushed image
 */
export function pushDerivedImage(base: string, lines: string[], repository: string, tag: string): string {
    const { REGISTRY, REGISTRY_USERNAME, REGISTRY_PASSWORD } = process.env;
    if (!REGISTRY || !REGISTRY_USERNAME || !REGISTRY_PASSWORD) throw new Error("REGISTRY is not set: run through scripts/with-image-infra");
    const context = fs.mkdtempSync(path.join(os.tmpdir(), "ragstar-derived-"));
    const previous = process.env.DOCKER_CONFIG;
    process.env.DOCKER_CONFIG = fs.mkdtempSync(path.join(os.tmpdir(), "ragstar-docker-config-"));
    try {
        dockerOk(["login", REGISTRY, "--username", REGISTRY_USERNAME, "--password-stdin"], { input: REGISTRY_PASSWORD });
        fs.writeFileSync(path.join(context, "Dockerfile"), [`FROM ${base} AS derived`, ...lines, ""].join("\n"));
        const name = `${REGISTRY}/${repository}:${tag}`;
        buildImage(context, "derived", name, {});
        return `${REGISTRY}/${repository}@${pushImage(name)}`;
    } finally {
        fs.rmSync(process.env.DOCKER_CONFIG, { recursive: true, force: true });
        if (previous === undefined) delete process.env.DOCKER_CONFIG;
        else process.env.DOCKER_CONFIG = previous;
        fs.rmSync(context, { recursive: true, force: true });
    }
}
