/**
 * `npm run --silent render -- --stack NAME [--out DIR] [--root DIR]`
 * `npm run --silent render -- --all --out rendered/`
 *
 * Runs the real Pulumi program in-process under mocks with `Pulumi.NAME.yaml` as its
 * config and prints every Kubernetes object as multi-document YAML on stdout, in apply
 * order. `--out DIR` also writes one file per object (`<kind>-<name>.yaml`; with `--all`,
 * `DIR/<stack>/<kind>-<name>.yaml` for every `Pulumi.<stack>.yaml`), atomically, and removes
 * only stale files an earlier render wrote, as recorded in `DIR/.ragstar-render.json`
 * (infra/tools/render/outDir.ts). Secret values
 * print as `[secret]`; the image digest is a deterministic placeholder (said in the header).
 * The policy pack's rules (infra/review/rules.ts) run on the objects; the verdict goes to stderr.
 * Exit status: 0 on success, 1 on bad config, a bad Dockerfile or a mandatory policy
 * violation (on stderr),
 * 2 on bad usage.
 */
import * as fs from "node:fs";
import * as path from "node:path";

import { evaluatePolicy } from "../../review/rules";
import { ConfigError, DockerfileError } from "../../errors";
import { ROOT_DIR } from "../../paths";
import { parseCommandLine, UsageError } from "./commandLine";
import { CommandFailure, runCli } from "./runCli";
import { ForeignFileError, ManifestError, writeOutDir } from "../render/outDir";
import { objectFiles, renderHeader, renderStack, toYaml } from "../render/render";

const USAGE = "usage: npm run --silent render -- (--stack NAME | --all) [--out DIR] [--root DIR]";

/** Stacks that have a `Pulumi.<stack>.yaml` in the project root, sorted. */
function stacksIn(root: string): string[] {
    return fs.readdirSync(root).map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1]).filter((s): s is string => s !== undefined).sort();
}

/** One line for a config problem list: a single problem stays on the error's line. */
function configErrorText(stackFile: string, error: ConfigError): string {
    if (error.problems.length === 1) return `error: ${stackFile}: invalid stack config: ${error.problems[0]}\n`;
    return `error: ${stackFile}: invalid stack config:\n${error.problems.map((p) => `  - ${p}`).join("\n")}\n`;
}

async function main(argv: string[]): Promise<number> {
    const { values } = parseCommandLine({ args: argv, options: { stack: { type: "string" }, all: { type: "boolean", default: false }, out: { type: "string" }, root: { type: "string", default: ROOT_DIR } } });
    const root = path.resolve(values.root);
    if (values.all === (values.stack !== undefined)) throw new UsageError("give either --stack NAME or --all");
    if (values.out !== undefined && fs.existsSync(values.out) && !fs.statSync(values.out).isDirectory()) throw new UsageError(`--out ${values.out}: is a file; --out names a directory`);
    const stacks = values.all ? stacksIn(root) : [values.stack as string];
    let failed = false;
    for (const stack of stacks) {
        const stackFile = `Pulumi.${stack}.yaml`;
        if (!/^[A-Za-z0-9_.-]+$/.test(stack) || !fs.existsSync(path.join(root, stackFile))) throw new CommandFailure(`${stackFile} does not exist; stacks: ${stacksIn(root).join(", ")}`);
        try {
            const render = await renderStack(stack, root);
            process.stdout.write(renderHeader(render, render.objects.length) + toYaml(render.objects));
            // The policy pack's rules, so a reviewer gets the same verdict without the engine.
            const violations = evaluatePolicy(render.objects);
            const mandatory = violations.filter((v) => v.enforcement === "mandatory");
            process.stderr.write(`policy ${stack}: ${mandatory.length} mandatory, ${violations.length - mandatory.length} advisory violation(s)\n`);
            for (const v of violations) process.stderr.write(`  ${v.enforcement} ${v.rule}: ${v.object}: ${v.message}\n`);
            if (mandatory.length > 0) failed = true;
            if (values.out) {
                const { kept } = writeOutDir(values.all ? path.join(values.out, stack) : values.out, stack, objectFiles(render));
                for (const file of kept) process.stderr.write(`kept ${file}: no longer rendered, but edited since the render wrote it; remove it yourself if it is not needed\n`);
            }
        } catch (error) {
            if (error instanceof ConfigError) {
                process.stderr.write(configErrorText(stackFile, error));
            } else if (error instanceof DockerfileError) {
                process.stderr.write(`error: ${stackFile}: ${error.message}\n`);
            } else if (error instanceof ForeignFileError || error instanceof ManifestError) {
                // The render stops here; fs errors (which name the path and what failed) stop it too, through the runner.
                throw new CommandFailure(error.message);
            } else {
                throw error;
            }
            failed = true;
        }
        if (values.all && stack !== stacks[stacks.length - 1]) process.stdout.write("---\n");
    }
    return failed ? 1 : 0;
}

runCli(main, USAGE);
