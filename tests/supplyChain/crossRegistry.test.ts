/**
 * Promotion to a stage with its own registry (ragstar:promotion.repository): `promote` copies the
 * digest with its signature and SBOM to a second real registry this test starts, checks it is
 * served there under the same digest, verifies it there, and writes the target's reference; it
 * refuses when the target already holds a different manifest under one of the tags it would write.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

import { parseImageReference } from "../../infra/imageReference";
import { attestSbom, signImage, verifySbomAttestation, verifySignature } from "../../infra/supplyChain/cosign";
import { generateSbom, sbomPackages } from "../../infra/supplyChain/syft";
import { generateKeyPair, getManifest, type KeyPair, logins, promotionRoot, pushDerivedImage, pushProjectImage, putManifest, registry, removeTemporaryFolders, runCommand, type SecondRegistry, startSecondRegistry, targetStackYaml, temporaryFolder } from "./fixture";

const SOURCE_REPOSITORY = "ragstar-sc-cross";
const TARGET_PATH = "platform/ragstar";
let key: KeyPair;
let second: SecondRegistry;
let source: string;
let sourceSbom: ReturnType<typeof generateSbom>;

const tagOf = (ref: string, suffix: string) => `${parseImageReference(ref).digest.replace(":", "-")}.${suffix}`;

beforeAll(async () => {
    key = generateKeyPair(`k-${randomBytes(6).toString("hex")}`);
    second = await startSecondRegistry("prod-pusher", `prod-canary-${randomBytes(9).toString("hex")}`);
    source = pushProjectImage(SOURCE_REPOSITORY);
    const sbomFile = path.join(temporaryFolder("ragstar-sbom-"), "sbom.json");
    sourceSbom = generateSbom(source, sbomFile, logins(registry()));
    signImage(source, { privateKeyPem: key.privateKeyPem, password: key.password }, logins(registry()));
    attestSbom(source, sbomFile, { privateKeyPem: key.privateKeyPem, password: key.password }, logins(registry()));
});

afterAll(async () => {
    await second?.stop();
    removeTemporaryFolders();
});

function promote(ref: string) {
    const root = promotionRoot(ref, { stack: "staging", yaml: targetStackYaml(`${second.registry}/${TARGET_PATH}@sha256:${"0".repeat(64)}`, { publicKeyPem: key.publicKeyPem, repository: `${second.registry}/${TARGET_PATH}` }) });
    const env = { REGISTRY_USERNAME: registry().username, REGISTRY_PASSWORD: registry().password, TARGET_REGISTRY_USERNAME: second.username, TARGET_REGISTRY_PASSWORD: second.password };
    return { root, env, run: runCommand("promote", ["--root", root, "--from", "dev", "--to", "staging"], env) };
}

test("the copy keeps the digest, the signature and the SBOM, and the target's reference is written", async () => {
    const { root, env, run } = promote(source);
    console.log(`promote across registries:\n${run.stdout}`);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const digest = parseImageReference(source).digest;
    const targetRef = `${second.registry}/${TARGET_PATH}@${digest}`;
    expect(run.stdout).toContain(`copied to ${second.registry}/${TARGET_PATH}: ${second.registry} serves ${targetRef} (digest unchanged), with its signature and SBOM\n`);
    expect(run.stdout).toContain(`signature check at the target: ${targetRef} is signed by key`);
    expect(fs.readFileSync(path.join(root, "Pulumi.staging.yaml"), "utf8")).toContain(`    ref: ${targetRef}\n`);

    // Asked of the second registry directly: the manifest under the same digest, the signature and attestation tags.
    const manifest = await getManifest(second, TARGET_PATH, digest);
    expect([manifest.status, manifest.digest]).toEqual([200, digest]);
    const sourceSig = await getManifest(registry(), SOURCE_REPOSITORY, tagOf(source, "sig"));
    const targetSig = await getManifest(second, TARGET_PATH, tagOf(source, "sig"));
    expect(targetSig.status).toBe(200);
    expect(targetSig.digest).toBe(sourceSig.digest);
    expect((await getManifest(second, TARGET_PATH, tagOf(source, "att"))).status).toBe(200);
    // And verified there by cosign with the key: the same SBOM.
    expect(verifySignature(targetRef, key.publicKeyPem, logins(second))).toEqual({ ok: true });
    const attested = verifySbomAttestation(targetRef, key.publicKeyPem, logins(second));
    if (!attested.ok) throw new Error(`${attested.failure}: ${attested.detail}`);
    expect(sbomPackages(attested.sbom)).toEqual(sbomPackages(sourceSbom));

    // Again: nothing to copy, nothing to change.
    const again = runCommand("promote", ["--root", root, "--from", "dev", "--to", "staging", "--ref", source], env);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain("Pulumi.staging.yaml already deploys this digest; nothing changed\n");
    for (const secret of [registry().password, second.password, key.password]) expect(`${run.stdout}${run.stderr}${again.stdout}${again.stderr}`).not.toContain(secret);
});

test("refused when the target holds a different manifest under a tag the copy would write", async () => {
    const derived = pushDerivedImage(source, SOURCE_REPOSITORY, "cross-taken");
    const sbomFile = path.join(temporaryFolder("ragstar-sbom-"), "sbom.json");
    generateSbom(derived, sbomFile, logins(registry()));
    signImage(derived, { privateKeyPem: key.privateKeyPem, password: key.password }, logins(registry()));
    attestSbom(derived, sbomFile, { privateKeyPem: key.privateKeyPem, password: key.password }, logins(registry()));
    // Someone else's signature already sits under the derived digest's signature tag at the target
    // (here: the first image's, copied by the test above; its blobs are in the repository).
    const existing = await getManifest(second, TARGET_PATH, tagOf(source, "sig"));
    expect(existing.status).toBe(200);
    expect(await putManifest(second, TARGET_PATH, tagOf(derived, "sig"), existing.body, existing.mediaType)).toBe(201);

    const { root, run } = promote(derived);
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(`promotion refused: ${second.registry}/${TARGET_PATH} already holds a different manifest under ${second.registry}/${TARGET_PATH}:${tagOf(derived, "sig")}; promotion never overwrites one: delete it in ${second.registry} if it is stale\n`);
    expect(fs.readFileSync(path.join(root, "Pulumi.staging.yaml"), "utf8")).not.toContain(parseImageReference(derived).digest);
    // The foreign signature is still there, unchanged.
    expect((await getManifest(second, TARGET_PATH, tagOf(derived, "sig"))).digest).toBe(existing.digest);
});
