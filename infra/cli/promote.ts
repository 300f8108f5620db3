/**
 * `npm run --silent promote -- --from dev --to staging [--ref REF] [--offline] [--skip-stage]`
 *
 * Promotes one digest-pinned image reference from a stage to the next (dev → staging →
 * prod) by writing it into `Pulumi.<to>.yaml` as `ragstar:image.ref`, and nothing else.
 * The reference comes from `--ref`, else the source stack file's `ragstar:image.ref`, else
 * the source stack's `image` output through the Pulumi CLI. The registry must serve that
 * manifest (credentials from REGISTRY_USERNAME / REGISTRY_PASSWORD); when it cannot be
 * reached the promotion is refused unless `--offline` is given, and then the output says
 * the check was skipped. Exit status: 0 promoted (or already there), 1 refused, 2 bad usage.
 * See docs/promotion.md.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";

import { ConfigError } from "../errors";
import { promotionOrderProblem } from "../promotion/order";
import { checkManifest, parseImageReference } from "../promotion/registryCheck";
import { readStackImage, setImageRef } from "../promotion/stackFileImage";

const USAGE = "usage: npm run --silent promote -- --from STAGE --to STAGE [--ref REGISTRY/REPO@sha256:…] [--offline] [--skip-stage] [--root DIR]";

class Refused extends Error {}

/** The image reference the source stage deployed, and where it was read. */
function sourceReference(from: string, root: string, given: string | undefined): { ref: string; source: string } {
    if (given !== undefined) return { ref: given, source: "--ref" };
    const file = path.join(root, `Pulumi.${from}.yaml`);
    if (!fs.existsSync(file)) throw new Refused(`${file} does not exist`);
    const image = readStackImage(fs.readFileSync(file, "utf8"), file);
    if (image.ref !== undefined) return { ref: image.ref, source: `Pulumi.${from}.yaml ragstar:image.ref` };
    const pulumi = spawnSync("pulumi", ["stack", "output", "image", "--stack", from], { cwd: root, encoding: "utf8", timeout: 60_000 });
    if (pulumi.status === 0 && pulumi.stdout.trim() !== "") return { ref: pulumi.stdout.trim(), source: `stack ${from} output "image"` };
    const why = pulumi.error ? `the Pulumi CLI is not available (${(pulumi.error as NodeJS.ErrnoException).code})` : `pulumi stack output failed: ${(pulumi.stderr || "").trim().split("\n").pop()}`;
    throw new Refused(`cannot read ${from}'s image: ${from} builds it, so its digest is a stack output, and ${why}. Pass --ref REGISTRY/REPOSITORY@sha256:<digest> (the "image" output of \`pulumi up\` on ${from}).`);
}

async function main(argv: string[]): Promise<number> {
    let values;
    try {
        ({ values } = parseArgs({
            args: argv,
            options: {
                from: { type: "string" },
                to: { type: "string" },
                ref: { type: "string" },
                offline: { type: "boolean", default: false },
                "skip-stage": { type: "boolean", default: false },
                root: { type: "string", default: path.resolve(__dirname, "../..") },
                help: { type: "boolean", short: "h" },
            },
        }));
    } catch (error) {
        process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
        return 2;
    }
    if (values.help) {
        process.stdout.write(`${USAGE}\n`);
        return 0;
    }
    if (!values.from || !values.to) {
        process.stderr.write(`--from and --to are required\n${USAGE}\n`);
        return 2;
    }
    try {
        const orderProblem = promotionOrderProblem(values.from, values.to, values["skip-stage"]);
        if (orderProblem) throw new Refused(orderProblem);
        const { ref, source } = sourceReference(values.from, values.root, values.ref);
        let reference;
        try {
            reference = parseImageReference(ref);
        } catch (error) {
            throw new Refused(`${source}: ${(error as Error).message}`);
        }

        const credentials = process.env.REGISTRY_USERNAME && process.env.REGISTRY_PASSWORD ? { username: process.env.REGISTRY_USERNAME, password: process.env.REGISTRY_PASSWORD } : undefined;
        const check = await checkManifest(reference, credentials);
        let checkLine: string;
        if (check.status === "missing") throw new Refused(`${reference.registry} has no manifest ${reference.repository}@${reference.digest}; promote only what dev pushed`);
        if (check.status === "unreachable") {
            if (!values.offline) throw new Refused(`cannot confirm ${reference.registry} holds ${reference.repository}@${reference.digest}: ${check.reason}. Retry when the registry is reachable, or pass --offline to promote without the check`);
            checkLine = `registry check SKIPPED (--offline): ${check.reason}`;
        } else {
            checkLine = `registry check: ${reference.registry} serves ${reference.repository}@${reference.digest}`;
        }

        const targetName = `Pulumi.${values.to}.yaml`;
        const target = path.join(values.root, targetName);
        if (!fs.existsSync(target)) throw new Refused(`${target} does not exist`);
        const edit = setImageRef(fs.readFileSync(target, "utf8"), targetName, ref);
        process.stdout.write(`promote ${values.from} → ${values.to}: ${ref} (from ${source})\n${checkLine}\n`);
        if (edit.previous === ref) {
            process.stdout.write(`${targetName} already deploys this digest; nothing changed\n`);
            return 0;
        }
        fs.writeFileSync(target, edit.text);
        process.stdout.write(`${targetName}: ragstar:image.ref\n- ${edit.previous ?? "(unset)"}\n+ ${ref}\n`);
        return 0;
    } catch (error) {
        if (error instanceof Refused || error instanceof ConfigError) {
            process.stderr.write(`promotion refused: ${error.message}\n`);
            return 1;
        }
        throw error;
    }
}

main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
});
