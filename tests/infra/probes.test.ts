import fc from "fast-check";

import { DockerfileError } from "../../infra/errors";
import { readStageFacts } from "../../infra/dockerfile/facts";
import { deriveProbes, probeTiming, wholeSeconds, type ProbeOptions } from "../../infra/probes/derive";
import { dockerDeadlineBoundNs } from "../../infra/probes/timingModel";
import { thrown } from "./thrown";

const FILE = "test/Dockerfile";
const S = 1_000_000_000n;

/** A one-stage Dockerfile that serves on 0.0.0.0:8000 with the given HEALTHCHECK line. */
const dockerfile = (healthcheck: string, extra = "") =>
    `FROM python:3.12-slim\nENV PORT=8000\n${extra}EXPOSE 8000\n${healthcheck}\nCMD ["uvicorn", "app:app", "--host", "0.0.0.0", "--port", "8000"]\n`;
const derive = (text: string, options: ProbeOptions = {}) => deriveProbes(readStageFacts(text, FILE), options);
const errorOf = (text: string, options: ProbeOptions = {}) => thrown(DockerfileError, () => derive(text, options));

describe("probe timing (table)", () => {
    test.each([
        // I, T, S, SI, R → liveness, readiness period/timeout/failure, startup period/timeout/failure
        { flags: "--interval=30s --timeout=3s --start-period=10s --retries=3", live: [33, 3, 3], ready: [30, 3, 3], startup: [5, 3, 21] },
        // T > SI: the startup period is sec(T), so a hanging check does not stretch 31 probes to 30 s each.
        { flags: "", live: [60, 30, 3], ready: [30, 30, 3], startup: [30, 30, 6] },
        { flags: "--interval=10s --timeout=1s --start-period=1m --start-interval=2s --retries=5", live: [11, 1, 5], ready: [10, 1, 5], startup: [2, 1, 59] },
        { flags: "--interval=1500ms --timeout=200ms --start-period=1s --start-interval=300ms", live: [2, 1, 3], ready: [2, 1, 3], startup: [1, 1, 6] },
        { flags: "--interval=1m30s --timeout=10s --start-period=2m --retries=1", live: [90, 10, 1], ready: [90, 10, 1], startup: [10, 10, 23] },
        { flags: "--interval=7s --start-period=1ms --start-interval=3s --retries=2", live: [37, 30, 2], ready: [7, 30, 2], startup: [30, 30, 3] },
        { flags: "--interval=10s --timeout=5s --start-period=120s --start-interval=1s", live: [15, 5, 3], ready: [10, 5, 3], startup: [5, 5, 34] },
    ])("$flags", ({ flags, live, ready, startup }) => {
        const { probes } = derive(dockerfile(`HEALTHCHECK ${flags} CMD curl -f http://localhost:8000/health`));
        const fields = ([periodSeconds, timeoutSeconds, failureThreshold]: number[]) => ({ periodSeconds, timeoutSeconds, failureThreshold, successThreshold: 1 });
        expect(probes?.livenessProbe).toMatchObject(fields(live));
        expect(probes?.readinessProbe).toMatchObject(fields(ready));
        expect(probes?.startupProbe).toMatchObject(fields(startup));
    });

    test("sec(d) rounds up and is at least 1", () => {
        expect(wholeSeconds(1n)).toBe(1);
        expect(wholeSeconds(S)).toBe(1);
        expect(wholeSeconds(S + 1n)).toBe(2);
        expect(wholeSeconds(0n)).toBe(1);
    });

    test("a field beyond int32 is an error naming the line", () => {
        const error = errorOf(dockerfile("HEALTHCHECK --start-period=2562047h --start-interval=1ms --retries=2147483647 CMD true"));
        expect(error.message).toMatch(/^test\/Dockerfile:4: HEALTHCHECK timing: startupFailureThreshold \d+ exceeds the Kubernetes limit of 2147483647$/);
    });
});

describe("probe timing (properties)", () => {
    const duration = (min: bigint) => fc.bigInt({ min, max: 10_000n * S });
    const check = fc.record({
        intervalNs: duration(1_000_000n),
        timeoutNs: duration(1_000_000n),
        startPeriodNs: fc.oneof(fc.constant(0n), duration(1n)),
        startIntervalNs: duration(1_000_000n),
        retries: fc.integer({ min: 1, max: 1000 }),
    });

    test("every integer field is ≥ 1 and the liveness and readiness failureThreshold = R", () => {
        fc.assert(
            fc.property(check, (c) => {
                const t = probeTiming(c);
                const fields = [t, t.readiness, t.startup].flatMap((p) => [p.periodSeconds, p.timeoutSeconds, p.failureThreshold]);
                return fields.every((f) => Number.isInteger(f) && f >= 1) && t.failureThreshold === c.retries && t.readiness.failureThreshold === c.retries;
            }),
        );
    });

    test("the startup budget covers Docker's deadline bound, and one probe fewer would not", () => {
        fc.assert(
            fc.property(check, (c) => {
                const t = probeTiming(c);
                const period = BigInt(t.startup.periodSeconds) * S;
                const span = period * BigInt(t.startup.failureThreshold - 1);
                const bound = dockerDeadlineBoundNs(c);
                return span >= bound && span - period < bound;
            }),
        );
    });

    test("periods never undercut Docker: liveness ≥ I (+ T when R > 1), readiness ≥ I, timeouts ≥ T, each less than one second more", () => {
        fc.assert(
            fc.property(check, (c) => {
                const t = probeTiming(c);
                const close = (seconds: number, want: bigint) => BigInt(seconds) * S >= want && BigInt(seconds) * S - want < S;
                return close(t.periodSeconds, c.retries > 1 ? c.intervalNs + c.timeoutNs : c.intervalNs)
                    && close(t.readiness.periodSeconds, c.intervalNs)
                    && close(t.timeoutSeconds, c.timeoutNs) && t.readiness.timeoutSeconds === t.timeoutSeconds && t.startup.timeoutSeconds === t.timeoutSeconds;
            }),
        );
    });

    test("the startup period is sec(SI), or sec(T) when that is longer: no probe outlasts it", () => {
        fc.assert(
            fc.property(check, (c) => {
                const { startup } = probeTiming(c);
                return startup.periodSeconds === Math.max(wholeSeconds(c.startIntervalNs), wholeSeconds(c.timeoutNs)) && startup.periodSeconds >= startup.timeoutSeconds;
            }),
        );
    });
});

describe("probe action", () => {
    const actionOf = (healthcheck: string, extra = "") => derive(dockerfile(healthcheck, extra)).probes?.livenessProbe;

    test.each([
        ["HEALTHCHECK CMD curl -f http://localhost:8000/health", { path: "/health", port: 8000, scheme: "HTTP" }],
        ["HEALTHCHECK CMD curl --fail http://127.0.0.1:8000/health?deep=1 || exit 1", { path: "/health?deep=1", port: 8000, scheme: "HTTP" }],
        ["HEALTHCHECK CMD curl -fsS -H 'X-Probe: kubelet' -m 2 https://localhost/healthz", { path: "/healthz", port: 443, scheme: "HTTPS", httpHeaders: [{ name: "X-Probe", value: "kubelet" }] }],
        ["HEALTHCHECK CMD curl -sfo /dev/null http://[::1]:8000/", { path: "/", port: 8000, scheme: "HTTP" }],
        ["HEALTHCHECK CMD wget -qO- http://0.0.0.0:8000/health", { path: "/health", port: 8000, scheme: "HTTP" }],
        ["HEALTHCHECK CMD wget --spider -q http://localhost/", { path: "/", port: 80, scheme: "HTTP" }],
        ['HEALTHCHECK CMD ["curl", "-f", "http://localhost:8000/live"]', { path: "/live", port: 8000, scheme: "HTTP" }],
        [`HEALTHCHECK CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2)"]`, { path: "/health", port: 8000, scheme: "HTTP" }],
        [`HEALTHCHECK CMD ["/usr/local/bin/python3", "-c", "from urllib.request import urlopen\\nurlopen(\\"http://localhost:8000/h\\")"]`, { path: "/h", port: 8000, scheme: "HTTP" }],
        ["HEALTHCHECK CMD curl -f http://localhost:${PORT}/health", { path: "/health", port: 8000, scheme: "HTTP" }],
        ["HEALTHCHECK CMD curl -f localhost:8000/health", { path: "/health", port: 8000, scheme: "HTTP" }],
        ["HEALTHCHECK CMD curl -f http://localhost:${PORT:+9999}/h", { path: "/h", port: 9999, scheme: "HTTP" }],
        ["HEALTHCHECK CMD curl -f http://localhost:${UNSET_PORT:-7000}/h", { path: "/h", port: 7000, scheme: "HTTP" }],
        ["HEALTHCHECK CMD curl -f http://localhost:${PORT:-7000}/h", { path: "/h", port: 8000, scheme: "HTTP" }],
        ["HEALTHCHECK CMD curl -f http://localhost:8000/h${UNSET+x}", { path: "/h", port: 8000, scheme: "HTTP" }],
        ["HEALTHCHECK CMD wget -nv -O- http://localhost:8000/h", { path: "/h", port: 8000, scheme: "HTTP" }],
        ["HEALTHCHECK CMD wget -q -O /dev/null 127.0.0.1:8000", { path: "/", port: 8000, scheme: "HTTP" }],
    ])("%s → httpGet", (healthcheck, httpGet) => {
        expect(actionOf(healthcheck)).toMatchObject({ httpGet });
        expect(actionOf(healthcheck)).not.toHaveProperty("exec");
    });

    test.each([
        ['HEALTHCHECK CMD ["pg_isready"]', ["pg_isready"]],
        ["HEALTHCHECK CMD curl -f http://example.com/", ["/bin/sh", "-c", "curl -f http://example.com/"]],
        ["HEALTHCHECK CMD curl -f http://localhost/a && curl -f http://localhost/b", ["/bin/sh", "-c", "curl -f http://localhost/a && curl -f http://localhost/b"]],
        ["HEALTHCHECK CMD curl -X POST -f http://localhost/", ["/bin/sh", "-c", "curl -X POST -f http://localhost/"]],
        ["HEALTHCHECK CMD curl -f http://user:pw@localhost/", ["/bin/sh", "-c", "curl -f http://user:pw@localhost/"]],
        ["HEALTHCHECK CMD curl --unknown-flag -f http://localhost/", ["/bin/sh", "-c", "curl --unknown-flag -f http://localhost/"]],
        [`HEALTHCHECK CMD ["python", "-c", "import urllib.request,sys; r=urllib.request.urlopen('http://localhost/'); sys.exit(r.status != 200)"]`, ["python", "-c", "import urllib.request,sys; r=urllib.request.urlopen('http://localhost/'); sys.exit(r.status != 200)"]],
        ['HEALTHCHECK CMD ["sh", "-c", "curl -f http://localhost:$PORT/"]', ["sh", "-c", "curl -f http://localhost:$PORT/"]],
    ])("%s → exec", (healthcheck, command) => {
        expect(actionOf(healthcheck)).toMatchObject({ exec: { command } });
    });

    test("shell form runs through the stage's SHELL", () => {
        expect(actionOf("HEALTHCHECK CMD pgrep uvicorn", 'SHELL ["/bin/bash", "-o", "pipefail", "-c"]\n')).toMatchObject({
            exec: { command: ["/bin/bash", "-o", "pipefail", "-c", "pgrep uvicorn"] },
        });
    });

    test("curl without --fail becomes httpGet with a warning that Docker's check was weaker", () => {
        const result = derive(dockerfile("HEALTHCHECK CMD curl -s http://localhost:8000/health"));
        expect(result.probes?.livenessProbe).toMatchObject({ httpGet: { path: "/health", port: 8000 } });
        expect(result.warnings).toHaveLength(1);
        expect(result.warnings[0]).toContain("test/Dockerfile:4: HEALTHCHECK runs curl without --fail");
    });

    test("readiness uses its own path on the same port when configured; startup keeps the HEALTHCHECK action", () => {
        const { probes } = derive(dockerfile("HEALTHCHECK --start-period=5s CMD curl -f http://localhost:8000/health"), { readinessPath: "/ready" });
        expect(probes?.readinessProbe).toMatchObject({ httpGet: { path: "/ready", port: 8000, scheme: "HTTP" } });
        expect(probes?.livenessProbe).toMatchObject({ httpGet: { path: "/health" } });
        expect(probes?.startupProbe).toMatchObject({ httpGet: { path: "/health" } });
    });

    test("a readiness path with an exec check uses the single exposed port", () => {
        const { probes } = derive(dockerfile('HEALTHCHECK CMD ["pg_isready"]'), { readinessPath: "/ready" });
        expect(probes?.livenessProbe).toMatchObject({ exec: { command: ["pg_isready"] } });
        expect(probes?.readinessProbe).toMatchObject({ httpGet: { path: "/ready", port: 8000, scheme: "HTTP" } });
    });
});

describe("errors", () => {
    test("no HEALTHCHECK is an error, at the stage's FROM line, unless the stack opts out", () => {
        const text = 'FROM python:3.12-slim\nCMD ["python"]\n';
        expect(errorOf(text).message).toContain('test/Dockerfile:1: stage "0" has no HEALTHCHECK (one inherited from the external base image python:3.12-slim cannot be seen here)');
        expect(derive(text, { allowMissingHealthcheck: true }).probes).toBeNull();
    });

    test("HEALTHCHECK NONE is an error naming its line", () => {
        const error = errorOf("FROM python:3.12-slim\nHEALTHCHECK CMD true\nHEALTHCHECK NONE\n");
        expect(error.line).toBe(3);
        expect(error.message).toContain("HEALTHCHECK NONE disables the check");
    });

    test("${VAR} in exec form is an error: Docker never expands it", () => {
        expect(errorOf(dockerfile('HEALTHCHECK CMD ["curl", "-f", "http://localhost:${PORT}/"]')).message).toContain("Docker never expands variables in exec form");
    });

    test("a shell-form variable set only by ARG is an error that says why", () => {
        const error = errorOf(dockerfile("HEALTHCHECK CMD curl -f http://localhost:${HC_PORT}/", "ARG HC_PORT=8000\n"));
        expect(error.message).toContain("only an ARG sets (line 3)");
        expect(error.message).toContain("ENV HC_PORT=${HC_PORT}");
    });

    test("an unknown shell-form variable is an error", () => {
        expect(errorOf(dockerfile("HEALTHCHECK CMD curl -f http://localhost:$NOPE/")).message).toContain("$NOPE, which no ENV");
    });

    test.each([
        ['CMD ["uvicorn", "app:app", "--host", "127.0.0.1"]', "binds the server to 127.0.0.1 (--host)"],
        ['CMD ["uvicorn", "app:app", "--host=localhost"]', "binds the server to localhost (--host)"],
        ['CMD ["uvicorn", "app:app"]', "runs uvicorn without --host"],
        ["CMD gunicorn -b 127.0.0.1:8000 app:app", "binds the server to 127.0.0.1:8000 (-b)"],
        ["CMD gunicorn -b127.0.0.1:8000 app:app", "binds the server to 127.0.0.1:8000 (-b)"],
        ['CMD ["uvicorn", "app:app", "--host", "::1"]', "binds the server to ::1 (--host)"],
        ['CMD ["gunicorn", "--bind", "[::1]:8000", "app:app"]', "binds the server to [::1]:8000 (--bind)"],
        ['CMD ["gunicorn", "--bind", "unix:/tmp/g.sock", "app:app"]', "binds the server to unix:/tmp/g.sock (--bind)"],
        ['CMD ["sh", "-c", "exec uvicorn app:app"]', "runs uvicorn without --host"],
        ["CMD exec uvicorn app:app --host 127.0.0.1", "binds the server to 127.0.0.1 (--host)"],
        ['CMD ["gunicorn", "app:app"]', "runs gunicorn without --bind"],
    ])("%s with an httpGet probe is an error", (cmd, message) => {
        const text = `FROM python:3.12-slim\nHEALTHCHECK CMD curl -f http://localhost:8000/\n${cmd}\n`;
        const error = errorOf(text);
        expect(error.message).toContain(message);
        expect(error.line).toBe(3);
    });

    test("a loopback bind is fine when the probe is exec (it runs inside the container)", () => {
        const text = 'FROM python:3.12-slim\nHEALTHCHECK CMD ["pg_isready"]\nCMD ["uvicorn", "app:app"]\n';
        expect(derive(text).probes?.livenessProbe).toMatchObject({ exec: { command: ["pg_isready"] } });
    });

    test("UVICORN_HOST=0.0.0.0 in ENV counts as a public bind", () => {
        const text = 'FROM python:3.12-slim\nENV UVICORN_HOST=0.0.0.0\nHEALTHCHECK CMD curl -f http://localhost:8000/\nCMD ["uvicorn", "app:app"]\n';
        expect(derive(text).probes?.livenessProbe).toMatchObject({ httpGet: { port: 8000 } });
    });
});

test("a start period under 1ms is rejected as Docker rejects it", () => {
    expect(() => readStageFacts(dockerfile("HEALTHCHECK --start-period=1ns CMD true"), FILE)).toThrow('Interval "start-period" cannot be less than 1ms');
});

test("gunicorn -b0.0.0.0:8000 (value attached) is a public bind", () => {
    const text = 'FROM python:3.12-slim\nHEALTHCHECK CMD curl -f http://localhost:8000/\nCMD ["gunicorn", "-b0.0.0.0:8000", "app:app"]\n';
    expect(derive(text).probes?.livenessProbe).toMatchObject({ httpGet: { port: 8000 } });
});

test("a start interval beyond int32 seconds is an error", () => {
    expect(errorOf(dockerfile("HEALTHCHECK --start-period=1s --start-interval=1000000h CMD true")).message).toContain("startupPeriodSeconds 3600000000 exceeds the Kubernetes limit");
});

test("a port set through several-variable ARG and ENV lines reaches the probe", () => {
    const text = 'FROM python:3.12-slim\nARG A=1 B=9000\nENV PORT=$B\nHEALTHCHECK CMD curl -f http://localhost:${PORT}/h\nCMD ["uvicorn", "app:app", "--host", "0.0.0.0"]\n';
    expect(derive(text).probes?.livenessProbe).toMatchObject({ httpGet: { path: "/h", port: 9000 } });
});

test("uvicorn on [::] or 0.0.0.0 through sh -c is accepted", () => {
    const text = 'FROM python:3.12-slim\nHEALTHCHECK CMD curl -f http://localhost:8000/\nCMD ["sh", "-c", "exec uvicorn app:app --host ::"]\n';
    expect(derive(text).probes?.livenessProbe).toMatchObject({ httpGet: { port: 8000 } });
});
