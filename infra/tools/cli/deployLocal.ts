/**
 * `npm run --silent local -- up|preview|destroy|outputs [--image REF] [--expect-no-changes]`
 *
 * The `local` stack under the real Pulumi engine (infra/tools/engine/localStack.ts). `up` without
 * `--image` first builds the Dockerfile with BuildKit and pushes it to the registry that
 * scripts/with-image-infra provides; with the release registry of scripts/main (RELEASE_REGISTRY)
 * it then attests the digest, copies it there and deploys that reference with signature
 * verification on (infra/tools/engine/localRelease.ts); without, it deploys the pushed digest. Engine output goes to
 * stderr; stdout gets the stack outputs as JSON and the folder of rendered manifests.
 * Run it through scripts/main, which prepares every tool. Exit status: 0 done, 1 failed (the
 * error, in full, on stderr), 2 bad usage.
 */
import * as fs from "node:fs";
import * as path from "node:path";

import { buildAndPushImage } from "../docker/docker";
import { upWithRolloutDiagnosis } from "../engine/clusterUp";
import { localBuildArgs, localImageBuildArgs, localPaths, openLocalStack, type LocalTarget } from "../engine/localStack";
import { localSigningKey, releaseConfig, releaseImage, releaseRegistryFromEnv } from "../engine/localRelease";
import { ROOT_DIR } from "../../paths";
import { parseCommandLine, UsageError } from "./commandLine";
import { asFailure, CommandFailure, runCli } from "./runCli";

const USAGE = "usage: npm run --silent local -- (up|preview|destroy|outputs) [--target files|cluster] [--image REGISTRY/REPO@sha256:…] [--expect-no-changes]";

function env(name: string): string {
    const value = process.env[name];
    if (!value) throw new CommandFailure(`${name} is not set: run through scripts/main (or scripts/with-image-infra), or pass --image`);
    return value;
}

/**
 * Build the runtime stage with the local stack's build arguments (its `ragstar:image.buildArgs`
 * and `APP_UID`) and push it to the registry of scripts/with-image-infra; returns the pushed reference.
 */
function buildAndPush(): string {
    const buildArgs = localImageBuildArgs();
    const { reference, build } = buildAndPushImage(
        ROOT_DIR,
        { registry: env("REGISTRY"), username: env("REGISTRY_USERNAME"), password: env("REGISTRY_PASSWORD") },
        "ragstar",
        "local",
        buildArgs,
    );
    process.stderr.write(`built the image in ${build.seconds.toFixed(1)} s on ${localBuildArgs().PYTHON_IMAGE} (${env("BASE_IMAGE_KIND")}); pushed ${reference}\n`);
    return reference;
}

async function main(argv: string[]): Promise<void> {
    const parsed = parseCommandLine({
        args: argv,
        allowPositionals: true,
        options: { image: { type: "string" }, "expect-no-changes": { type: "boolean", default: false }, target: { type: "string", default: "files" } },
    });
    const [command] = parsed.positionals;
    if (!["up", "preview", "destroy", "outputs"].includes(command ?? "") || parsed.positionals.length !== 1) throw new UsageError("");
    const target = parsed.values.target;
    if (target !== "files" && target !== "cluster") throw new UsageError(`--target must be files (renderYamlToDirectory) or cluster (KUBECONFIG's current context), not ${target}`);
    try {
        await deploy(command, target, parsed.values.image, parsed.values["expect-no-changes"]);
    } catch (error) {
        // The engine's and Docker's errors are failures to report in full (they carry the evidence), not bugs.
        throw asFailure(error);
    }
}

/** Run `command` on the local stack; engine output to stderr, outputs and where they went to stdout. */
async function deploy(command: string, target: LocalTarget, givenImage: string | undefined, expectNoChanges: boolean): Promise<void> {
    const paths = localPaths();
    const imageFile = path.join(paths.workDir, "image");
    const release = releaseRegistryFromEnv();
    let image: string | undefined;
    let overrides = {};
    if (givenImage === undefined && command === "up" && release) {
        // The whole supply chain (docs/supply-chain.md): push, attest, promote to the release
        // registry, deploy from there with verification on.
        const released = releaseImage(buildAndPush(), { username: env("REGISTRY_USERNAME"), password: env("REGISTRY_PASSWORD") }, paths.workDir, (line) => process.stderr.write(`${line}\n`));
        [image, overrides] = [released.ref, released.config];
    } else {
        // Reuse the last deployed image for preview/destroy/outputs, so they see the same config.
        image = givenImage ?? (command === "up" ? buildAndPush() : fs.existsSync(imageFile) ? fs.readFileSync(imageFile, "utf8").trim() : undefined);
        if (image && release && givenImage === undefined && image.startsWith(`${release.registry}/`)) overrides = releaseConfig(localSigningKey(paths.workDir).publicKeyPem, release);
    }
    if (!image) throw new CommandFailure(`no image deployed yet: run \`up\` first, or pass --image`);
    const stack = await openLocalStack(image, paths, overrides, target, localBuildArgs());
    const onOutput = (text: string) => process.stderr.write(text);
    switch (command) {
        case "up": {
            // On a cluster, refresh first: the embedded cluster starts empty after `stop-cluster`
            // (its etcd is wiped), and the engine must not patch objects its state lists but the
            // cluster no longer has (before: deployments.apps "ragstar" not found).
            // A failed rollout on a cluster ends with the failing probe, the pod's events and logs.
            const result = target === "cluster" ? await upWithRolloutDiagnosis(stack, { onOutput, refresh: true }) : await stack.up({ onOutput });
            fs.writeFileSync(imageFile, image);
            process.stdout.write(`${JSON.stringify(Object.fromEntries(Object.entries(result.outputs).map(([k, v]) => [k, v.secret ? "[secret]" : v.value])), null, 2)}\n`);
            process.stdout.write(target === "files" ? `rendered manifests: ${path.relative(process.cwd(), paths.manifestsDir)}/\n` : `deployed to the cluster of ${process.env.KUBECONFIG ?? "~/.kube/config"}\n`);
            break;
        }
        case "preview": {
            const result = await stack.preview({ onOutput, expectNoChanges, diff: true, refresh: target === "cluster" });
            process.stdout.write(`${JSON.stringify(result.changeSummary)}\n`);
            break;
        }
        case "destroy":
            await stack.destroy({ onOutput });
            break;
        default: {
            const outputs = await stack.outputs();
            process.stdout.write(`${JSON.stringify(Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.secret ? "[secret]" : v.value])), null, 2)}\n`);
            break;
        }
    }
}

runCli(main, USAGE);
