/**
 * `ts-node tests/infra/failingBuild.ts ROOT STACK [IMAGE]`: run the program of `ROOT/Pulumi.STACK.yaml`
 * under Pulumi mocks whose docker.Image registration fails, as a failed build fails under the
 * engine (a StackReference, for image.fromStack, has the output `image` = IMAGE), and print `{"types": [...], "error": "..."}`: the resource types the mocks were asked
 * to create, and the error the program threw synchronously, if any. A process of its own: the
 * failed registration rejects in every resource that waits for it, which would fail a jest test.
 */
import * as path from "node:path";

import * as pulumi from "@pulumi/pulumi";

import { ragstarProgram } from "../../infra/program";
import { readStackFile } from "../../infra/tools/render/stackFile";

async function main(rootDir: string, stack: string, stackReferenceImage: string | undefined): Promise<void> {
    const { config, secretKeys } = readStackFile(path.join(rootDir, `Pulumi.${stack}.yaml`), "ragstar");
    pulumi.runtime.setAllConfig(config, secretKeys);
    const types: string[] = [];
    await pulumi.runtime.setMocks(
        {
            newResource(args: pulumi.runtime.MockResourceArgs) {
                types.push(args.type);
                if (args.type === "docker:index/image:Image") throw new Error("docker build failed: exit code 1");
                if (args.type === "pulumi:pulumi:StackReference") {
                    return { id: `${args.name}-id`, state: { ...args.inputs, outputs: { image: stackReferenceImage } } };
                }
                return { id: `${args.name}-id`, state: args.inputs };
            },
            call: (args: pulumi.runtime.MockCallArgs) => args.inputs,
        },
        "ragstar",
        stack,
        false,
    );
    process.on("unhandledRejection", () => undefined);
    let error: string | undefined;
    try {
        ragstarProgram(rootDir);
    } catch (thrown) {
        error = `${(thrown as Error).constructor.name}: ${(thrown as Error).message}`;
    }
    // waitForRPCs never settles after a failed registration; wait until no registration arrives for
    // 1 s (the mocks answer in-process, within milliseconds).
    for (let seen = -1; seen !== types.length; ) {
        seen = types.length;
        await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    process.stdout.write(`${JSON.stringify({ types, error })}\n`);
    process.exit(0);
}

void main(process.argv[2], process.argv[3], process.argv[4]);
