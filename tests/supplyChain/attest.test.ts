/**
 * `npm run attest` on the project image in the real registry: syft's SBOM, cosign's signature and
 * attestation, verified back; the SBOM's Python packages against what the image holds (asked of the
 * image's own Python) and against uv.lock; and no secret in anything the command printed.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

import { parse as parseToml } from "smol-toml";

import { verifySbomAttestation, verifySignature } from "../../infra/supplyChain/cosign";
import { publicKeyFingerprint } from "../../infra/supplyChain/publicKey";
import { sbomPackages } from "../../infra/supplyChain/syft";
import { dockerOk } from "../../infra/tools/docker/docker";
import { parseImageReference } from "../../infra/imageReference";
import { generateKeyPair, getManifest, type KeyPair, logins, pushProjectImage, registry, removeTemporaryFolders, REPO_ROOT, runCommand, temporaryFolder } from "./fixture";

/** PEP 503 normalized name: what pip, uv and syft's purls compare by. */
const normalize = (name: string) => name.toLowerCase().replace(/[-_.]+/g, "-");

let ref: string;
let key: KeyPair;
let run: ReturnType<typeof runCommand>;
const sbomOut = path.join(temporaryFolder("ragstar-sbom-"), "sbom.spdx.json");

beforeAll(() => {
    ref = pushProjectImage("ragstar-supply-chain");
    key = generateKeyPair(`key-password-canary-${randomBytes(6).toString("hex")}`);
    const target = registry();
    run = runCommand("attest", ["--ref", ref, "--sbom-out", sbomOut], {
        RAGSTAR_SIGNING_KEY_FILE: key.keyFile,
        COSIGN_PASSWORD: key.password,
        REGISTRY_USERNAME: target.username,
        REGISTRY_PASSWORD: target.password,
    });
});

test("attest: SBOM, signature and attestation pushed, and verified back with the public key", () => {
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe(`attest ${ref}`);
    expect(lines[1]).toMatch(new RegExp(`^sbom: SPDX JSON, \\d+ packages \\(.*\\d+ pypi.*\\) → ${sbomOut.replace(/[.]/g, "\\.")}$`));
    expect(lines[2]).toBe(`signed and attested with key ${publicKeyFingerprint(key.publicKeyPem)}; both verified with its public key`);
    expect(lines).toHaveLength(3);

    // Checked again here, independently of the command's own check.
    expect(verifySignature(ref, key.publicKeyPem, logins(registry()))).toEqual({ ok: true });
    const attested = verifySbomAttestation(ref, key.publicKeyPem, logins(registry()));
    if (!attested.ok) throw new Error(`${attested.failure}: ${attested.detail}`);
    // The attested SBOM is the document the command wrote.
    expect(attested.sbom).toEqual(JSON.parse(fs.readFileSync(sbomOut, "utf8")));
    expect(attested.sbom.spdxVersion).toBe("SPDX-2.3");
});

test("a second run with the same key pushes nothing: the signature and attestation tags stay as they are", async () => {
    const repository = parseImageReference(ref).repository;
    const tag = (suffix: string) => `${parseImageReference(ref).digest.replace(":", "-")}.${suffix}`;
    const before = [(await getManifest(registry(), repository, tag("sig"))).digest, (await getManifest(registry(), repository, tag("att"))).digest];
    const again = runCommand("attest", ["--ref", ref], { RAGSTAR_SIGNING_KEY_FILE: key.keyFile, COSIGN_PASSWORD: key.password, REGISTRY_USERNAME: registry().username, REGISTRY_PASSWORD: registry().password });
    expect([again.status, again.stderr]).toEqual([0, ""]);
    expect(again.stdout.trimEnd().split("\n").pop()).toBe(`already signed and attested with key ${publicKeyFingerprint(key.publicKeyPem)} (both verified); nothing pushed`);
    expect([(await getManifest(registry(), repository, tag("sig"))).digest, (await getManifest(registry(), repository, tag("att"))).digest]).toEqual(before);
    expect(before.every((d) => /^sha256:[a-f0-9]{64}$/.test(d ?? ""))).toBe(true);
});

test("the SBOM lists the service's Python dependencies at their uv.lock versions, as the image holds them", () => {
    const sbom = JSON.parse(fs.readFileSync(sbomOut, "utf8"));
    const pypi = sbomPackages(sbom).filter((p) => p.type === "pypi");

    // Asked of the image's own Python: its virtual environment (first on PATH) and, apart, the
    // base interpreter's own packages (pip and the like, not the service's).
    const code = [
        "import importlib.metadata as m, json, subprocess, sys",
        "listing = \"import importlib.metadata as m, json; print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))\"",
        "base = json.loads(subprocess.run([sys._base_executable, '-I', '-c', listing], capture_output=True, text=True, check=True).stdout)",
        "print(json.dumps({'prefix': sys.prefix, 'venv': {d.metadata['Name']: d.version for d in m.distributions()}, 'base': base}))",
    ].join("\n");
    const image = JSON.parse(dockerOk(["run", "--rm", "--entrypoint", "python", ref, "-c", code])) as { prefix: string; venv: Record<string, string>; base: Record<string, string> };
    const asMap = (record: Record<string, string>) => Object.fromEntries(Object.entries(record).map(([n, v]) => [normalize(n), v]).sort());
    const inVenv = (p: { source: string }) => p.source.includes(`${image.prefix}/`);

    const lock = parseToml(fs.readFileSync(path.join(REPO_ROOT, "uv.lock"), "utf8")) as { package: { name: string; version: string }[] };
    // A package may be locked at several versions, one per range of Python versions (uv's
    // resolution markers: numpy 2.5 needs Python 3.12); the image's must be one of them.
    const locked = new Map<string, string[]>();
    for (const p of lock.package) locked.set(normalize(p.name), [...(locked.get(normalize(p.name)) ?? []), p.version]);
    const project = parseToml(fs.readFileSync(path.join(REPO_ROOT, "pyproject.toml"), "utf8")) as { project: { dependencies: string[] } };
    const direct = project.project.dependencies.map((d) => normalize(/^[A-Za-z0-9_.-]+/.exec(d)![0]));

    const venv = asMap(image.venv);
    expect(Object.keys(venv).length).toBeGreaterThan(10);
    // The SBOM lists exactly what the service's environment holds, at those versions ...
    expect(asMap(Object.fromEntries(pypi.filter(inVenv).map((p) => [p.name, p.version])))).toEqual(venv);
    // ... each at its uv.lock version ...
    const offLock = Object.entries(venv).filter(([name, version]) => !(locked.get(name) ?? []).includes(String(version))).map(([name, version]) => `${name} ${version} (uv.lock: ${locked.get(name)?.join(" or ") ?? "absent"})`);
    expect(offLock).toEqual([]);
    // ... with every direct dependency of pyproject.toml among them.
    expect(direct.filter((name) => !(name in venv))).toEqual([]);
    // The rest are the base interpreter's own, exactly.
    expect(asMap(Object.fromEntries(pypi.filter((p) => !inVenv(p)).map((p) => [p.name, p.version])))).toEqual(asMap(image.base));
    console.log(`SBOM: ${Object.keys(venv).length} Python packages in ${image.prefix}, all at their uv.lock versions (${direct.length} direct dependencies among them); ${Object.keys(image.base).length} of the base interpreter (${Object.keys(image.base).sort().join(", ")}); ${sbomPackages(sbom).length} packages in all`);
});

test("no secret in the command's output: the key's password, its private PEM, the registry password", () => {
    const printed = `${run.stdout}\n${run.stderr}`;
    const pemBody = key.privateKeyPem.split("\n").filter((l) => l && !l.startsWith("-----"));
    expect(pemBody.length).toBeGreaterThan(0);
    expect(printed).not.toContain(key.password);
    expect(printed).not.toContain(registry().password);
    for (const line of pemBody) expect(printed).not.toContain(line);
    // Nor in the SBOM that was published.
    const sbomText = fs.readFileSync(sbomOut, "utf8");
    for (const secret of [key.password, registry().password, ...pemBody]) expect(sbomText).not.toContain(secret);
});

afterAll(() => removeTemporaryFolders());
