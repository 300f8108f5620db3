/**
 * `npm run --silent attest -- --ref REGISTRY/REPOSITORY@sha256:… [--sbom-out FILE]`
 *
 * The step after a push (scripts/main runs it after `pulumi up` on dev; docs/supply-chain.md):
 * 1. the SBOM of the pushed image, by syft reading it from the registry (SPDX JSON);
 * 2. the digest signed with the key, and the SBOM attached as a signed attestation (cosign);
 * 3. both verified back with the key's public half, so a success means a later check will pass.
 *
 * The private key: the file `RAGSTAR_SIGNING_KEY_FILE` names (from `cosign generate-key-pair`,
 * encrypted), and its password `COSIGN_PASSWORD`. Registry credentials: `REGISTRY_USERNAME` /
 * `REGISTRY_PASSWORD`. None of them is printed. Exit status: 0 attested, 1 failed, 2 bad usage.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { parseImageReference } from "../../imageReference";
import { packageSummary, signAndAttest } from "../../supplyChain/attestImage";
import { signingKeyFromEnv } from "../../supplyChain/signingKey";
import { loginFromEnv } from "../../supplyChain/registryAuth";
import { parseCommandLine, UsageError } from "./commandLine";
import { CommandFailure, runCli } from "./runCli";

const USAGE = "usage: npm run --silent attest -- --ref REGISTRY/REPOSITORY@sha256:<digest> [--sbom-out FILE]  (env: RAGSTAR_SIGNING_KEY_FILE, COSIGN_PASSWORD, REGISTRY_USERNAME, REGISTRY_PASSWORD)";

function main(argv: string[]): void {
    const { values } = parseCommandLine({ args: argv, options: { ref: { type: "string" }, "sbom-out": { type: "string" } } });
    if (!values.ref) throw new UsageError("--ref is required: the digest-pinned reference `pulumi up` printed as its \"image\" output");
    let registry: string;
    try {
        registry = parseImageReference(values.ref).registry;
    } catch (error) {
        throw new UsageError(`--ref: ${(error as Error).message}`);
    }
    let key;
    try {
        key = signingKeyFromEnv();
    } catch (error) {
        throw new CommandFailure((error as Error).message);
    }
    const logins = loginFromEnv(registry);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ragstar-attest-"));
    try {
        const sbomFile = values["sbom-out"] ?? path.join(tmp, "sbom.spdx.json");
        process.stdout.write(`attest ${values.ref}\n`);
        let attested;
        try {
            attested = signAndAttest(values.ref, key, logins, sbomFile);
        } catch (error) {
            throw new CommandFailure((error as Error).message);
        }
        process.stdout.write(`sbom: SPDX JSON, ${attested.packages.length} packages (${packageSummary(attested.packages)})${values["sbom-out"] ? ` → ${values["sbom-out"]}` : ""}\n`);
        process.stdout.write(
            attested.pushed
                ? `signed and attested with key ${attested.fingerprint}; both verified with its public key\n`
                : `already signed and attested with key ${attested.fingerprint} (both verified); nothing pushed\n`,
        );
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

runCli(main, USAGE);
