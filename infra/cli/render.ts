/**
 * `npm run --silent render -- --stack NAME [--out DIR]`
 *
 * Runs the real Pulumi program in-process under mocks with `Pulumi.NAME.yaml` as its
 * config and prints every Kubernetes object as multi-document YAML on stdout, in apply
 * order. `--out DIR` also writes one file per object (`<kind>-<name>.yaml`). Secret values
 * print as `[secret]`; the image digest is a deterministic placeholder (said in the header).
 * Exit status: 0 on success, 1 on bad config or a bad Dockerfile (the error on stderr),
 * 2 on bad usage.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";

import { ConfigError, DockerfileError } from "../errors";
import { objectFileName, renderHeader, renderStack, toYaml } from "../render/render";

const USAGE = "usage: npm run --silent render -- --stack NAME [--out DIR]";

async function main(argv: string[]): Promise<number> {
    let values;
    try {
        ({ values } = parseArgs({ args: argv, options: { stack: { type: "string" }, out: { type: "string" }, help: { type: "boolean", short: "h" } } }));
    } catch (error) {
        process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
        return 2;
    }
    if (values.help) {
        process.stdout.write(`${USAGE}\n`);
        return 0;
    }
    if (!values.stack || !/^[A-Za-z0-9_.-]+$/.test(values.stack)) {
        process.stderr.write(`--stack NAME is required (a stack with a Pulumi.NAME.yaml file)\n${USAGE}\n`);
        return 2;
    }
    const stackFile = `Pulumi.${values.stack}.yaml`;
    try {
        if (!fs.existsSync(path.resolve(__dirname, "../..", stackFile))) {
            process.stderr.write(`error: ${stackFile} does not exist; stacks: ${fs.readdirSync(path.resolve(__dirname, "../..")).filter((f) => /^Pulumi\..+\.yaml$/.test(f)).join(", ")}\n`);
            return 1;
        }
        const render = await renderStack(values.stack);
        process.stdout.write(renderHeader(values.stack, render.objects.length) + toYaml(render.objects));
        if (values.out) {
            fs.mkdirSync(values.out, { recursive: true });
            for (const object of render.objects) fs.writeFileSync(path.join(values.out, objectFileName(object)), renderHeader(values.stack, 1) + toYaml([object]));
        }
        return 0;
    } catch (error) {
        if (error instanceof ConfigError) {
            process.stderr.write(`error: ${stackFile}: invalid stack config:\n${error.problems.map((p) => `  - ${p}`).join("\n")}\n`);
            return 1;
        }
        if (error instanceof DockerfileError) {
            process.stderr.write(`error: ${error.message}\n`);
            return 1;
        }
        throw error;
    }
}

main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
});
