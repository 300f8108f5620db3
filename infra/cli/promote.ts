/**
 * `npm run --silent promote -- --from dev --to staging [--ref REF] [--rollback] [--offline] [--skip-stage]`
 *
 * Promotes one digest-pinned image reference from a stage to the next (dev → staging →
 * prod) by writing it into `Pulumi.<to>.yaml` as `ragstar:image.ref`, and nothing else.
 * The reference is what the source stage deploys: its stack file's `ragstar:image.ref`, else
 * its `image` stack output through the Pulumi CLI. `--ref` must equal that when it can be
 * read (and stands in for it when it cannot, as for dev without a backend); `--rollback
 * --ref OLD` puts back an earlier digest. The registry must serve that
 * manifest (credentials from REGISTRY_USERNAME / REGISTRY_PASSWORD); when it cannot be
 * reached the promotion is refused unless `--offline` is given, and then the output says
 * the check was skipped. Exit status: 0 promoted (or already there), 1 refused, 2 bad usage.
 * See docs/promotion.md.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import { ConfigError } from "../errors";
import { parseCommandLine, usageError } from "./commandLine";
import { promotionOrderProblem } from "../promotion/order";
import { checkManifest, parseImageReference } from "../promotion/registryCheck";
import { readStackImage, setImageRef } from "../promotion/stackFileImage";

const USAGE = "usage: npm run --silent promote -- --from STAGE --to STAGE [--ref REGISTRY/REPO@sha256:…] [--rollback] [--offline] [--skip-stage] [--root DIR]";

class Refused extends Error {}

/** What the source stage deploys: from its stack file, else its stack output; or why it is unknown. */
function deployedReference(from: string, root: string): { ref: string; source: string } | { unknown: string } {
    const file = path.join(root, `Pulumi.${from}.yaml`);
    if (!fs.existsSync(file)) throw new Refused(`${file} does not exist`);
    const image = readStackImage(fs.readFileSync(file, "utf8"), file);
    if (image.ref !== undefined) return { ref: image.ref, source: `Pulumi.${from}.yaml ragstar:image.ref` };
    const pulumi = spawnSync("pulumi", ["stack", "output", "image", "--stack", from], { cwd: root, encoding: "utf8", timeout: 60_000 });
    if (pulumi.status === 0 && pulumi.stdout.trim() !== "") return { ref: pulumi.stdout.trim(), source: `stack ${from} output "image"` };
    const why = pulumi.error ? `the Pulumi CLI is not available (${(pulumi.error as NodeJS.ErrnoException).code})` : `pulumi stack output failed: ${(pulumi.stderr || "").trim().split("\n").pop()}`;
    return { unknown: `${from} builds its image, so its digest is a stack output, and ${why}` };
}

/**
 * The reference to promote. `--ref` must be what the source stage deploys, when that can be
 * read, so no digest reaches a stage without passing the one before; `--rollback` lifts that
 * for putting back a digest the target ran before.
 */
function sourceReference(from: string, root: string, given: string | undefined, rollback: boolean): { ref: string; source: string } {
    const deployed = deployedReference(from, root);
    if (given === undefined) {
        if ("unknown" in deployed) throw new Refused(`cannot read ${from}'s image: ${deployed.unknown}. Pass --ref REGISTRY/REPOSITORY@sha256:<digest> (the "image" output of \`pulumi up\` on ${from}).`);
        return deployed;
    }
    if (rollback) return { ref: given, source: "--ref (rollback)" };
    if ("ref" in deployed && deployed.ref !== given) {
        throw new Refused(`--ref ${given} is not what ${from} deploys (${deployed.ref}, from ${deployed.source}); promote what ${from} ran, or pass --rollback to put back an earlier digest`);
    }
    return { ref: given, source: "unknown" in deployed ? `--ref (${from}'s output could not be read to confirm it)` : "--ref" };
}

async function main(argv: string[]): Promise<number> {
    const parsed = parseCommandLine(
        {
            args: argv,
            options: {
                from: { type: "string" },
                to: { type: "string" },
                ref: { type: "string" },
                offline: { type: "boolean", default: false },
                "skip-stage": { type: "boolean", default: false },
                rollback: { type: "boolean", default: false },
                root: { type: "string", default: path.resolve(__dirname, "../..") },
            },
        },
        USAGE,
    );
    if (typeof parsed === "number") return parsed;
    const { values } = parsed;
    if (!values.from || !values.to) return usageError("--from and --to are required", USAGE);
    try {
        const orderProblem = promotionOrderProblem(values.from, values.to, values["skip-stage"]);
        if (orderProblem) throw new Refused(orderProblem);
        if (values.rollback && values.ref === undefined) throw new Refused("--rollback needs --ref: the earlier digest to put back");
        const { ref, source } = sourceReference(values.from, values.root, values.ref, values.rollback);
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
        process.stdout.write(`${targetName}: ragstar:image.ref\n- ${edit.previous}\n+ ${ref}\n`);
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
