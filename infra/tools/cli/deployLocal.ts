/**
 * `npm run --silent local -- up|preview|destroy|outputs [--image REF] [--expect-no-changes]`
 *
 * The `local` stack under the real Pulumi engine (infra/tools/engine/localStack.ts). `up` without
 * `--image` first builds the Dockerfile with BuildKit and pushes it to the registry that
 * scripts/with-image-infra provides, and deploys the pushed digest. Engine output goes to
 * stderr; stdout gets the stack outputs as JSON and the folder of rendered manifests.
 * Run it through scripts/main, which prepares every tool.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";

import { buildAndPushImage } from "../docker/docker";

import { localBuildArgs, localImageBuildArgs, localPaths, openLocalStack } from "../engine/localStack";
import { ROOT_DIR } from "../../paths";

const USAGE = "usage: npm run --silent local -- (up|preview|destroy|outputs) [--target files|cluster] [--image REGISTRY/REPO@sha256:…] [--expect-no-changes]";

function env(name: string): string {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set: run through scripts/main (or scripts/with-image-infra), or pass --image`);
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

async function main(argv: string[]): Promise<number> {
    let parsed;
    try {
        parsed = parseArgs({
            args: argv,
            allowPositionals: true,
            options: { image: { type: "string" }, "expect-no-changes": { type: "boolean", default: false }, target: { type: "string", default: "files" } },
        });
    } catch (error) {
        process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
        return 2;
    }
    const [command] = parsed.positionals;
    if (!["up", "preview", "destroy", "outputs"].includes(command ?? "") || parsed.positionals.length !== 1) {
        process.stderr.write(`${USAGE}\n`);
        return 2;
    }
    const target = parsed.values.target;
    if (target !== "files" && target !== "cluster") {
        process.stderr.write(`--target must be files (renderYamlToDirectory) or cluster (KUBECONFIG's current context), not ${target}\n${USAGE}\n`);
        return 2;
    }
    const paths = localPaths();
    const imageFile = path.join(paths.workDir, "image");
    // Reuse the last deployed image for preview/destroy/outputs, so they see the same config.
    const image = parsed.values.image ?? (command === "up" ? buildAndPush() : fs.existsSync(imageFile) ? fs.readFileSync(imageFile, "utf8").trim() : undefined);
    if (!image) throw new Error(`no image deployed yet: run \`up\` first, or pass --image`);
    const stack = await openLocalStack(image, paths, {}, target, localBuildArgs());
    const onOutput = (text: string) => process.stderr.write(text);
    switch (command) {
        case "up": {
            const result = await stack.up({ onOutput });
            fs.writeFileSync(imageFile, image);
            process.stdout.write(`${JSON.stringify(Object.fromEntries(Object.entries(result.outputs).map(([k, v]) => [k, v.secret ? "[secret]" : v.value])), null, 2)}\n`);
            process.stdout.write(target === "files" ? `rendered manifests: ${path.relative(process.cwd(), paths.manifestsDir)}/\n` : `deployed to the cluster of ${process.env.KUBECONFIG ?? "~/.kube/config"}\n`);
            return 0;
        }
        case "preview": {
            const result = await stack.preview({ onOutput, expectNoChanges: parsed.values["expect-no-changes"], diff: true });
            process.stdout.write(`${JSON.stringify(result.changeSummary)}\n`);
            return 0;
        }
        case "destroy":
            await stack.destroy({ onOutput });
            return 0;
        default: {
            const outputs = await stack.outputs();
            process.stdout.write(`${JSON.stringify(Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.secret ? "[secret]" : v.value])), null, 2)}\n`);
            return 0;
        }
    }
}

main(process.argv.slice(2)).then(
    (code) => {
        process.exitCode = code;
    },
    (error: Error) => {
        process.stderr.write(`error: ${error.message}\n`);
        process.exitCode = 1;
    },
);
