// Differential test: the package's HEALTHCHECK reading against a real Docker engine's.
// Each generated Dockerfile is built FROM scratch (nothing runs in the target; RUN lines sit in
// a stage the target does not use) and `docker inspect` gives the engine's reading. Cases that
// touch a rule changed after 20.10 are built in their 20.10 equivalent and the package's reading
// is checked against the current rule. Seed: DOCKER_PARSER_SEED.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { readStageFacts } from "../../infra/dockerfile/facts";
import { DOCKER_HEALTHCHECK_DEFAULTS } from "../../infra/dockerfile/healthcheck";
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
// The one file the corpus's COPY/ADD lines name, so a COPY that parses also builds.
fs.writeFileSync(path.join(context, "a"), "a\n");

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

/** The engine's reading of the case as 20.10 needs it written (the current-rule forms rewritten to their 20.10 equivalents). */
async function engineReading(c: CorpusCase): Promise<Reading> {
    const file = path.join(workDir, `Dockerfile.${c.index}`);
    fs.writeFileSync(file, c.legacyDockerfile);
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

function packageReading(c: CorpusCase): Reading & { startIntervalNs?: bigint } {
    try {
        const h = readStageFacts(c.dockerfile, `case-${c.index}/Dockerfile`).healthcheck;
        if (!h) return { accepted: false, why: "no HEALTHCHECK" };
        if (h.kind === "none") return { accepted: true, test: ["NONE"], intervalNs: DOCKER_HEALTHCHECK_DEFAULTS.intervalNs, timeoutNs: DOCKER_HEALTHCHECK_DEFAULTS.timeoutNs, startPeriodNs: 0n, retries: DOCKER_HEALTHCHECK_DEFAULTS.retries };
        const test = h.command.form === "exec" ? ["CMD", ...h.command.argv] : ["CMD-SHELL", h.command.command];
        return { accepted: true, test, intervalNs: h.intervalNs, timeoutNs: h.timeoutNs, startPeriodNs: h.startPeriodNs, retries: h.retries, startIntervalNs: h.startIntervalNs };
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

/**
 * What the current rule says the case reads, built from the engine's reading of the 20.10
 * equivalent plus the fields 20.10 cannot record; undefined when the current rule refuses outright.
 */
function currentRuleExpectation(c: CorpusCase, engine: Reading): Reading | undefined {
    if (c.expectStartIntervalNs === "refused") return undefined;
    if (!engine.accepted || c.expectTest === undefined) return engine;
    return { ...engine, test: c.expectTest };
}

test("the package reads HEALTHCHECK and every other instruction as the Docker engine does", async () => {
    const started = Date.now();
    const corpus = healthcheckCorpus(SEED, COUNT);
    const disagreements: string[] = [];
    let accepted = 0;
    let refused = 0;
    let currentRuleChecked = 0;
    let cursor = 0;
    const worker = async () => {
        while (cursor < corpus.length) {
            const c = corpus[cursor++];
            const ours = packageReading(c);
            const engine = c.expectStartIntervalNs === "refused" ? undefined : await engineReading(c);
            const expected: Reading = c.currentRules.length === 0 ? (engine as Reading) : (currentRuleExpectation(c, engine as Reading) ?? { accepted: false, why: "--start-interval below 1ms" });
            let ok = agree(expected, ours);
            // 20.10 records no start interval; the current rule's value is stated by the corpus.
            if (ok && ours.accepted && typeof c.expectStartIntervalNs === "bigint") ok = ours.startIntervalNs === c.expectStartIntervalNs;
            if (!ok) {
                const rules = c.currentRules.map((r) => `${r.rule} [${r.source}]`).join("; ");
                const legacy = c.legacyDockerfile === c.dockerfile ? "" : `\n  as 20.10 needs it:\n${c.legacyDockerfile.replace(/^/gm, "  | ")}`;
                disagreements.push(`case ${c.index}${rules ? ` (current rules: ${rules})` : ""}:\n${c.dockerfile.replace(/^/gm, "  | ")}${legacy}\n  expected: ${show(expected)}${c.expectStartIntervalNs !== undefined ? ` startInterval ${String(c.expectStartIntervalNs)}` : ""}\n  package:  ${show(ours)}`);
                continue;
            }
            if (c.currentRules.length > 0) currentRuleChecked++;
            if (expected.accepted) accepted++;
            else refused++;
        }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const withCurrentRules = corpus.filter((c) => c.currentRules.length > 0).length;
    const withOtherInstructions = corpus.filter((c) => /^(USER|ENV|LABEL|COPY|ADD|RUN|STOPSIGNAL|ONBUILD|EXPOSE|WORKDIR|VOLUME|ARG|CMD)\b/m.test(c.dockerfile)).length;
    process.stderr.write(
        `docker parser differential: seed ${SEED}, ${corpus.length} cases (${withOtherInstructions} with other instructions), ${accepted + refused} agreed (${accepted} accepted, ${refused} refused), ${currentRuleChecked} of ${withCurrentRules} current-BuildKit-rule cases checked against the rule (${((Date.now() - started) / 1000).toFixed(1)} s)\n`,
    );
    expect(disagreements.join("\n\n")).toBe("");
    // A corpus that only refuses (or only accepts) would prove little.
    expect(accepted).toBeGreaterThan(corpus.length / 5);
    expect(refused).toBeGreaterThan(corpus.length / 5);
    expect(currentRuleChecked).toBeGreaterThan(0);
    expect(withOtherInstructions).toBeGreaterThan(corpus.length / 5);
});
