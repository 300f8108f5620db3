// Differential test: the package's HEALTHCHECK reading against a real Docker engine's.
// Each generated Dockerfile is built FROM scratch (nothing runs; the HEALTHCHECK is image
// config) and `docker inspect` gives the engine's reading. Seed: DOCKER_PARSER_SEED.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { DOCKER_HEALTHCHECK_DEFAULTS, readStageFacts } from "../../infra/dockerfile/facts";
import { DockerfileError } from "../../infra/errors";
import { healthcheckCorpus, type CorpusCase } from "./healthcheckCorpus";

const DOCKER = process.env.DOCKER ?? (fs.existsSync("/usr/bin/docker") ? "/usr/bin/docker" : "docker");
const SEED = process.env.DOCKER_PARSER_SEED ?? "ragstar-issue-10";
const COUNT = Number(process.env.DOCKER_PARSER_CASES ?? "200");
const CONCURRENCY = 3;
const TAG = `ragstar-parser-diff-${process.pid}`;
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "ragstar-parser-diff-"));
const context = path.join(workDir, "context");
fs.mkdirSync(context);

/** A reading in the engine's terms: refused, or the recorded Healthcheck with defaults applied. */
type Reading = { accepted: false; why: string } | { accepted: true; test: string[]; intervalNs: bigint; timeoutNs: bigint; startPeriodNs: bigint; retries: number };

function run(args: string[]): Promise<{ code: number; out: string }> {
    return new Promise((resolve) => {
        const child = spawn(DOCKER, args, { env: { ...process.env, DOCKER_BUILDKIT: "1" } });
        let out = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (out += d));
        child.on("close", (code) => resolve({ code: code ?? 1, out }));
    });
}

async function engineReading(c: CorpusCase): Promise<Reading> {
    const file = path.join(workDir, `Dockerfile.${c.index}`);
    fs.writeFileSync(file, c.dockerfile);
    const tag = `${TAG}:${c.index}`;
    const built = await run(["build", "--quiet", "-t", tag, "-f", file, context]);
    if (built.code !== 0) return { accepted: false, why: built.out.trim().split("\n").pop() ?? "" };
    const inspected = await run(["inspect", "--format", "{{json .Config.Healthcheck}}", tag]);
    const h = JSON.parse(inspected.out) as { Test: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; Retries?: number } | null;
    if (h === null) return { accepted: false, why: "no Healthcheck recorded" };
    // Go's JSON numbers are int64 nanoseconds; the ones generated here stay exact in a double only up to 2^53, so re-read them as text.
    const ns = (field: string, fallback: bigint): bigint => {
        const match = new RegExp(`"${field}":(\\d+)`).exec(inspected.out);
        return match && match[1] !== "0" ? BigInt(match[1]) : fallback;
    };
    return {
        accepted: true,
        test: h.Test,
        intervalNs: ns("Interval", DOCKER_HEALTHCHECK_DEFAULTS.intervalNs),
        timeoutNs: ns("Timeout", DOCKER_HEALTHCHECK_DEFAULTS.timeoutNs),
        startPeriodNs: ns("StartPeriod", DOCKER_HEALTHCHECK_DEFAULTS.startPeriodNs),
        retries: h.Retries ? h.Retries : DOCKER_HEALTHCHECK_DEFAULTS.retries,
    };
}

function packageReading(c: CorpusCase): Reading {
    try {
        const h = readStageFacts(c.dockerfile, `case-${c.index}/Dockerfile`).healthcheck;
        if (!h) return { accepted: false, why: "no HEALTHCHECK" };
        if (h.kind === "none") return { accepted: true, test: ["NONE"], intervalNs: DOCKER_HEALTHCHECK_DEFAULTS.intervalNs, timeoutNs: DOCKER_HEALTHCHECK_DEFAULTS.timeoutNs, startPeriodNs: 0n, retries: DOCKER_HEALTHCHECK_DEFAULTS.retries };
        const test = h.command.form === "exec" ? ["CMD", ...h.command.argv] : ["CMD-SHELL", h.command.command];
        return { accepted: true, test, intervalNs: h.intervalNs, timeoutNs: h.timeoutNs, startPeriodNs: h.startPeriodNs, retries: h.retries };
    } catch (error) {
        if (error instanceof DockerfileError) return { accepted: false, why: error.message };
        throw error;
    }
}

/** Both refuse, or both accept with equal fields; the "why" of a refusal is not compared. */
function agree(a: Reading, b: Reading): boolean {
    if (!a.accepted || !b.accepted) return a.accepted === b.accepted;
    return JSON.stringify(a.test) === JSON.stringify(b.test) && a.intervalNs === b.intervalNs && a.timeoutNs === b.timeoutNs && a.startPeriodNs === b.startPeriodNs && a.retries === b.retries;
}

const show = (r: Reading) => JSON.stringify(r, (_k, v) => (typeof v === "bigint" ? `${v}ns` : v));

afterAll(async () => {
    const images = (await run(["images", "--format", "{{.Repository}}:{{.Tag}}", TAG])).out.split("\n").filter((l) => l.startsWith(TAG));
    if (images.length > 0) await run(["rmi", "-f", ...images]);
    fs.rmSync(workDir, { recursive: true, force: true });
});

test("the package reads HEALTHCHECK as the Docker engine does", async () => {
    const started = Date.now();
    const corpus = healthcheckCorpus(SEED, COUNT);
    const compared = corpus.filter((c) => c.currentRuleOnly === undefined);
    const disagreements: string[] = [];
    let accepted = 0;
    let refused = 0;
    let cursor = 0;
    const worker = async () => {
        while (cursor < compared.length) {
            const c = compared[cursor++];
            const [engine, ours] = [await engineReading(c), packageReading(c)];
            if (!agree(engine, ours)) {
                disagreements.push(`case ${c.index}:\n${c.dockerfile.replace(/^/gm, "  | ")}\n  engine:  ${show(engine)}\n  package: ${show(ours)}`);
            } else if (engine.accepted) accepted++;
            else refused++;
        }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const stated = corpus.length - compared.length;
    process.stderr.write(
        `docker parser differential: seed ${SEED}, ${corpus.length} cases, ${accepted + refused} agreed (${accepted} accepted, ${refused} refused), ${stated} stated as current-BuildKit rules (${((Date.now() - started) / 1000).toFixed(1)} s)\n`,
    );
    expect(disagreements.join("\n\n")).toBe("");
    // A corpus that only refuses (or only accepts) would prove little.
    expect(accepted).toBeGreaterThan(compared.length / 5);
    expect(refused).toBeGreaterThan(compared.length / 5);
});
