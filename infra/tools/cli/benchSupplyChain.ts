/**
 * `npm run --silent bench:supply-chain [-- --runs N]`
 *
 * What the supply chain adds to a build, on the real registry of scripts/with-image-infra with the
 * cosign and syft of scripts/with-supply-chain. Per run: the project image rebuilt after a one-line
 * source change and pushed (a new digest, as each CI build makes), then each step timed on it; the
 * first run (cold layer cache) is not counted; medians of N runs (default 5) in
 * one JSON object on stdout (progress on stderr), seconds:
 *   build_and_push_s   `docker build` of the project image after a one-line source change (the
 *                      layer cache reused up to the source layer) and `docker push` of its new layers
 *   sbom_s             syft scan of the pushed image from the registry (SPDX JSON)
 *   sign_attest_s      cosign sign, then cosign attest of that SBOM
 *   verify_s           the check promote and the program run (signature, then SBOM attestation)
 *   attest_total_s     sbom_s + sign_attest_s + the verification back: what `npm run attest` adds
 *   sbom_packages      packages the SBOM lists
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { packageSummary } from "../../supplyChain/attestImage";
import { attestSbom, signImage } from "../../supplyChain/cosign";
import { generateSbom, sbomPackages } from "../../supplyChain/syft";
import { verifyImage } from "../../supplyChain/verifyImage";
import { buildAndPushImage, copyBuildContext } from "../docker/docker";
import { localSigningKey } from "../engine/localRelease";
import { localImageBuildArgs } from "../engine/localStack";
import { median } from "../node/rolloutStats";
import { parseCommandLine, positiveInteger } from "./commandLine";
import { asFailure, CommandFailure, runCli } from "./runCli";

const USAGE = "usage: npm run --silent bench:supply-chain [-- --runs N]";
const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);
const round = (seconds: number) => Math.round(seconds * 100) / 100;

function env(name: string): string {
    const value = process.env[name];
    if (!value) throw new CommandFailure(`${name} is not set: run through scripts/with-image-infra and scripts/with-supply-chain (npm run bench:supply-chain does)`);
    return value;
}

function timed<T>(work: () => T): [T, number] {
    const start = process.hrtime.bigint();
    const result = work();
    return [result, Number(process.hrtime.bigint() - start) / 1e9];
}

function measure(argv: string[]): void {
    const { values } = parseCommandLine({ args: argv, options: { runs: { type: "string", default: "5" } } });
    const runs = positiveInteger("--runs", values.runs);
    const push = { registry: env("REGISTRY"), username: env("REGISTRY_USERNAME"), password: env("REGISTRY_PASSWORD") };
    const logins = { [push.registry]: { username: push.username, password: push.password } };
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "ragstar-bench-supply-chain-"));
    const context = copyBuildContext();
    try {
        const key = localSigningKey(path.join(work, "key"));
        const samples: Record<string, number[]> = { build_and_push_s: [], sbom_s: [], sign_attest_s: [], verify_s: [], attest_total_s: [] };
        let packages = 0;
        for (let run = 1; run <= runs + 1; run++) {
            // A rebuild after a one-line source change, pushed: a new digest, as each CI build makes.
            fs.appendFileSync(path.join(context, "src/ragstar/__init__.py"), `# benchmark edit ${process.pid}-${run}\n`);
            const [pushed, buildSeconds] = timed(() => buildAndPushImage(context, push, "ragstar-bench-supply-chain", `run-${process.pid}-${run}`, localImageBuildArgs()).reference);
            const sbomFile = path.join(work, `sbom-${run}.json`);
            const [document, sbomSeconds] = timed(() => generateSbom(pushed, sbomFile, logins));
            const [, signSeconds] = timed(() => {
                signImage(pushed, key, logins);
                attestSbom(pushed, sbomFile, key, logins);
            });
            const [check, verifySeconds] = timed(() => verifyImage(pushed, key.publicKeyPem, logins));
            if (!check.ok) throw new CommandFailure(`verification failed: ${check.failure}: ${check.detail}`);
            packages = sbomPackages(document).length;
            log(`run ${run}: build+push ${round(buildSeconds)} s, SBOM ${round(sbomSeconds)} s, sign+attest ${round(signSeconds)} s, verify ${round(verifySeconds)} s (${packageSummary(sbomPackages(document))})`);
            // The first run fills the layer cache and the registry: not counted.
            if (run === 1) continue;
            samples.build_and_push_s.push(buildSeconds);
            samples.sbom_s.push(sbomSeconds);
            samples.sign_attest_s.push(signSeconds);
            samples.verify_s.push(verifySeconds);
            samples.attest_total_s.push(sbomSeconds + signSeconds + verifySeconds);
        }
        const result = Object.fromEntries(Object.entries(samples).map(([name, list]) => [name, round(median(list))]));
        process.stdout.write(`${JSON.stringify({ runs, ...result, sbom_packages: packages })}\n`);
    } finally {
        fs.rmSync(work, { recursive: true, force: true });
        fs.rmSync(context, { recursive: true, force: true });
    }
}

function main(argv: string[]): void {
    try {
        measure(argv);
    } catch (error) {
        throw asFailure(error);
    }
}

runCli(main, USAGE);
