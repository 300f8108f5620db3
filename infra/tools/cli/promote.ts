/**
 * `npm run --silent promote -- --from dev --to staging [--ref REF] [--rollback] [--offline] [--skip-stage]`
 *
 * Supply chain (docs/supply-chain.md): when the target's `ragstar:supplyChain.verify` is on, the
 * digest must be signed by its `publicKey` and carry an SBOM attestation signed by it, or the
 * promotion is refused naming the digest and the reason. When the target names
 * `ragstar:promotion.repository` (its own registry), the digest is copied there with its
 * signature and SBOM by cosign, checked to be served under the same digest (and verified there),
 * and the target's reference is what is written (target credentials: TARGET_REGISTRY_USERNAME /
 * TARGET_REGISTRY_PASSWORD).
 *
 * Promotes one digest-pinned image reference from a stage to the next (dev → staging →
 * prod) by writing it into `Pulumi.<to>.yaml` as `ragstar:image.ref`, and nothing else.
 * The reference is what the source stage deploys: its stack file's `ragstar:image.ref`, else
 * its `image` stack output through the Pulumi CLI. `--ref` must equal that when it can be
 * read (and stands in for it when it cannot, as for dev without a backend); `--rollback
 * --ref OLD` puts back a digest the target deployed before (a ref of a committed version of
 * its stack file). The registry must serve that manifest with that `Docker-Content-Digest`
 * (credentials from REGISTRY_USERNAME / REGISTRY_PASSWORD); `--offline` skips the check without
 * contacting the registry, and the output says so. The stack file is replaced atomically, only
 * if it did not change while the command ran, and read back before success is reported.
 * Exit status: 0 promoted (or already there), 1 refused, 2 bad usage.
 * See docs/promotion.md.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import { ConfigError } from "../../errors";
import { ROOT_DIR } from "../../paths";
import { FileChangedError, FileLockedError, writeFileAtomic } from "../fsAtomic";
import { parseCommandLine, UsageError } from "./commandLine";
import { runCli } from "./runCli";
import { promotionOrderProblem } from "../promotion/order";
import { deployedRefs, findDeployed } from "../promotion/history";
import { parseImageReference } from "../../imageReference";
import { checkManifest } from "../promotion/registryCheck";
import { readStackImage, readStackSupplyChain, setImageRef } from "../promotion/stackFileImage";
import { copySigned } from "../../supplyChain/cosign";
import { publicKeyFingerprint } from "../../supplyChain/publicKey";
import { loginFromEnv, type RegistryLogins } from "../../supplyChain/registryAuth";
import { failureText, verifyImage } from "../../supplyChain/verifyImage";

const USAGE = "usage: npm run --silent promote -- --from STAGE --to STAGE [--ref REGISTRY/REPO@sha256:…] [--rollback] [--offline] [--skip-stage] [--root DIR]";

class Refused extends Error {}

/** A stack file's text; a path that is not a regular file is refused naming it and what is expected. */
function readStackFileText(file: string): string {
    if (!fs.existsSync(file)) throw new Refused(`${file} does not exist`);
    const stat = fs.statSync(file);
    if (stat.isDirectory()) throw new Refused(`${file} is a directory; expected the stack file (YAML) there`);
    if (!stat.isFile()) throw new Refused(`${file} is not a regular file; expected the stack file (YAML) there`);
    return fs.readFileSync(file, "utf8");
}

/** What the source stage deploys: from its stack file, else its stack output; or why it is unknown. */
function deployedReference(from: string, root: string): { ref: string; source: string } | { unknown: string } {
    const file = path.join(root, `Pulumi.${from}.yaml`);
    const image = readStackImage(readStackFileText(file), file);
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

/**
 * `--rollback --ref REF` may only put back what `to` deployed before: a ref of a committed version
 * of its stack file (infra/tools/promotion/history.ts).
 *
 * @returns where that is recorded, for the output
 * @throws Refused when git cannot say, or when no committed version has the ref
 */
function rollbackSource(root: string, to: string, ref: string): string {
    const stackFile = `Pulumi.${to}.yaml`;
    let history: ReturnType<typeof deployedRefs>;
    try {
        history = deployedRefs(root, stackFile);
    } catch (error) {
        throw new Refused(`--rollback needs the git history of ${stackFile} to know what ${to} deployed, and git log failed: ${(error as Error).message}`);
    }
    const found = findDeployed(ref, history.refs);
    if (!found) {
        const shown = history.refs.slice(0, 5).map((r) => r.ref);
        const known = shown.length === 0 ? "none has a ref" : `its refs${history.refs.length > shown.length ? `, newest ${shown.length} of ${history.refs.length}` : ""}: ${shown.join(", ")}`;
        throw new Refused(`--rollback --ref ${ref}: ${to} has not deployed it: no committed version of ${stackFile} has it as ragstar:image.ref (${history.versions} version${history.versions === 1 ? "" : "s"}; ${known})`);
    }
    return `--ref (rollback: ${stackFile} deployed it in commit ${found.commit})`;
}

/** The one line for a refusal; a config error's problems joined, so nothing spills onto a second line. */
function refusalText(error: Error): string {
    const text = error instanceof ConfigError ? `${error.source}: ${error.problems.join("; ")}` : error.message;
    return `promotion refused: ${text.split("\n").join(" ")}\n`;
}

async function main(argv: string[]): Promise<number> {
    const { values } = parseCommandLine({
        args: argv,
        options: {
            from: { type: "string" },
            to: { type: "string" },
            ref: { type: "string" },
            offline: { type: "boolean", default: false },
            "skip-stage": { type: "boolean", default: false },
            rollback: { type: "boolean", default: false },
            root: { type: "string", default: ROOT_DIR },
        },
    });
    if (!values.from || !values.to) throw new UsageError("--from and --to are required");
    try {
        const orderProblem = promotionOrderProblem(values.from, values.to, values["skip-stage"]);
        if (orderProblem) throw new Refused(orderProblem);
        if (values.rollback && values.ref === undefined) throw new Refused("--rollback needs --ref: the earlier digest to put back");
        const { ref, source: given } = sourceReference(values.from, values.root, values.ref, values.rollback);
        let reference;
        try {
            reference = parseImageReference(ref);
        } catch (error) {
            throw new Refused(`${given}: ${(error as Error).message}`);
        }
        const source = values.rollback ? rollbackSource(values.root, values.to, ref) : given;

        // Read and edit the target before the registry check, so a bad target is refused early and
        // any change to it during the check is caught before the write.
        const targetName = `Pulumi.${values.to}.yaml`;
        const target = path.join(values.root, targetName);
        const before = readStackFileText(target);
        const mode = fs.statSync(target).mode & 0o777;
        // The write replaces the file by a rename, which neither a read-only mode nor a file this user
        // may not write would stop; honour both (root passes access(2), so the mode bits are checked too).
        if ((mode & 0o222) === 0) throw new Refused(`${target} is read-only (mode ${mode.toString(8).padStart(4, "0")}); make it writable to promote into it`);
        try {
            fs.accessSync(target, fs.constants.W_OK);
        } catch {
            throw new Refused(`${target} is not writable by this user; make it writable to promote into it`);
        }
        // Where the target deploys from: its own registry (ragstar:promotion.repository), where the
        // digest is copied with its signature and SBOM, or the source's reference as it is.
        const targetSupplyChain = readStackSupplyChain(before, targetName);
        const sourceRepository = `${reference.registry}/${reference.repository}`;
        const copyTo = targetSupplyChain.promotion && targetSupplyChain.promotion.repository !== sourceRepository ? targetSupplyChain.promotion.repository : undefined;
        const targetRef = copyTo ? `${copyTo}@${reference.digest}` : ref;
        // A reference already in the target's own registry (a rollback there) is read with the
        // target's credentials; any other with the source's.
        const inTargetRegistry = targetSupplyChain.promotion !== undefined && !copyTo;
        const targetLogin = loginFromEnv(reference.registry, "TARGET_REGISTRY");
        const sourceLogins = inTargetRegistry && Object.keys(targetLogin).length > 0 ? targetLogin : loginFromEnv(reference.registry, "REGISTRY");
        if (copyTo && values.offline) throw new Refused(`--offline cannot copy ${ref} to ${copyTo} (ragstar:promotion.repository in ${targetName}); promote with both registries reachable`);
        const edit = setImageRef(before, targetName, targetRef);

        let checkLine: string;
        if (values.offline) {
            checkLine = "registry check SKIPPED (--offline): the registry was not contacted";
        } else {
            const check = await checkManifest(reference, sourceLogins[reference.registry]);
            const named = `${reference.repository}@${reference.digest}`;
            if (check.status === "missing") throw new Refused(`${reference.registry} has no manifest ${named}; promote only what dev pushed`);
            if (check.status === "mismatch") throw new Refused(`${reference.registry} answered for ${named} with Docker-Content-Digest ${check.served ?? "(none)"}; it does not serve the digest asked for`);
            if (check.status === "unreachable") throw new Refused(`cannot confirm ${reference.registry} holds ${named}: ${check.reason}. Retry when the registry is reachable, or pass --offline to promote without the check`);
            checkLine = `registry check: ${reference.registry} serves ${named}`;
        }

        const { verify, publicKey } = targetSupplyChain.supplyChain;
        const verifies = verify && publicKey !== undefined;
        const verifyAt = (at: string, logins: RegistryLogins): string => {
            const result = verifyImage(at, publicKey!, logins);
            if (!result.ok) throw new Refused(`${at} ${failureText(result.failure, result.detail, publicKey!)} (ragstar:supplyChain.verify is on in ${targetName})`);
            return `signature check: ${at} is signed by key ${publicKeyFingerprint(publicKey!)} and has its SBOM (${result.sbomPackages} packages), both verified`;
        };
        let signatureLine: string;
        if (!verifies) signatureLine = `signature check: off (ragstar:supplyChain.verify is not on in ${targetName})`;
        else if (values.offline) signatureLine = `signature check SKIPPED (--offline): the registry was not asked; ${values.to}'s program verifies the digest before it deploys`;
        else signatureLine = verifyAt(ref, sourceLogins);

        const lines = [`promote ${values.from} → ${values.to}: ${ref} (from ${source})`, checkLine, signatureLine];
        if (copyTo) {
            const targetRegistry = parseImageReference(targetRef).registry;
            const targetLogins = loginFromEnv(targetRegistry, "TARGET_REGISTRY");
            // One login per registry host: a target on the source's host needs one user for both.
            if (targetRegistry === reference.registry && Object.keys(targetLogins).length > 0 && Object.keys(sourceLogins).length > 0 && targetLogins[targetRegistry].username !== sourceLogins[targetRegistry].username) {
                throw new Refused(`${copyTo} is on the source's registry ${targetRegistry}: give one login for both (REGISTRY_USERNAME/REGISTRY_PASSWORD), not a second TARGET_REGISTRY_USERNAME`);
            }
            try {
                copySigned(ref, copyTo, { ...sourceLogins, ...targetLogins });
            } catch (error) {
                const taken = /image "([^"]+)" already exists/.exec((error as Error).message);
                if (taken) throw new Refused(`${copyTo} already holds a different manifest under ${taken[1]}; promotion never overwrites one: delete it in ${targetRegistry} if it is stale`);
                throw new Refused(`copying ${ref} to ${copyTo}: ${(error as Error).message}`);
            }
            const login = targetLogins[targetRegistry];
            const copied = await checkManifest(parseImageReference(targetRef), login);
            if (copied.status !== "present") throw new Refused(`after the copy, ${targetRegistry} does not serve ${targetRef} with that digest (${copied.status}${"reason" in copied ? `: ${copied.reason}` : ""})`);
            lines.push(`copied to ${copyTo}: ${targetRegistry} serves ${targetRef} (digest unchanged), with its signature and SBOM`);
            if (verifies) lines.push(verifyAt(targetRef, targetLogins).replace(/^signature check:/, "signature check at the target:"));
        }
        process.stdout.write(`${lines.join("\n")}\n`);
        if (edit.previous === targetRef) {
            process.stdout.write(`${targetName} already deploys this digest; nothing changed\n`);
            return 0;
        }
        writeFileAtomic(target, edit.text, before);
        // Success is what the file now says, not what was meant to be written.
        const written = readStackImage(fs.readFileSync(target, "utf8"), targetName).ref;
        if (written !== targetRef) throw new Refused(`${target} was written but now has ragstar:image.ref ${JSON.stringify(written)}, not ${targetRef}; check the file`);
        process.stdout.write(`${targetName}: ragstar:image.ref\n- ${edit.previous}\n+ ${targetRef}\n`);
        return 0;
    } catch (error) {
        if (error instanceof Refused || error instanceof ConfigError || error instanceof FileChangedError || error instanceof FileLockedError || (error as NodeJS.ErrnoException).syscall !== undefined) {
            process.stderr.write(refusalText(error as Error));
            return 1;
        }
        throw error;
    }
}

// A bug (anything else thrown) is the runner's "promote: internal error: <first line>".
runCli(main, USAGE);
