import { readStageFacts } from "../../infra/dockerfile/facts";
import { deriveAction } from "../../infra/probes/action";

const FILE = "test/Dockerfile";

/** The probe action of a one-stage Dockerfile whose ENV sets PORT=8000. */
function actionOf(healthcheck: string) {
    const facts = readStageFacts(`FROM scratch\nENV PORT=8000\n${healthcheck}\n`, FILE);
    if (facts.healthcheck?.kind !== "check") throw new Error("no check");
    return deriveAction(facts, facts.healthcheck.command).action;
}
const shellExec = (command: string) => ({ exec: { command: ["/bin/sh", "-c", command] } });

describe("shell special parameters make an exec probe, not an error", () => {
    test.each([
        "curl -f http://localhost:8000/ || exit $?",
        "test $$ -gt 0",
        "curl -f http://localhost:$(cat /port)/",
        "curl -f http://localhost:$((8000 + 0))/",
        "test -n \"$1$#$*$@$!$-$0\"",
    ])("%s", (command) => {
        expect(actionOf(`HEALTHCHECK CMD ${command}`)).toEqual(shellExec(command));
    });
});

describe("a curl command curl would reject or run differently falls back to exec", () => {
    test.each([
        ["a long option written --opt=value (curl has no = syntax)", "curl -f --max-time=5 http://localhost:8000/"],
        ["a header written --header=value", "curl -f --header=X-A:1 http://localhost:8000/"],
        ["URL globbing with a range", "curl -f http://localhost:8000/h[1-3]"],
        ["URL globbing with a set", "curl -f 'http://localhost:8000/{a,b}'"],
        ["backticks", "curl -f http://localhost:`echo 8000`/"],
        ["an unencoded space in the URL", "curl -f 'http://localhost:8000/a b'"],
    ])("%s", (_why, command) => {
        expect(actionOf(`HEALTHCHECK CMD ${command}`)).toEqual(shellExec(command));
    });

    test("with -g (--globoff) brackets are literal, and the check stays httpGet", () => {
        expect(actionOf("HEALTHCHECK CMD curl -fg http://localhost:8000/h[1]")).toEqual({ httpGet: { path: "/h[1]", port: 8000, scheme: "HTTP" } });
    });

    test("curl -f http://localhost:8000/health is still httpGet", () => {
        expect(actionOf("HEALTHCHECK CMD curl -f http://localhost:${PORT}/health")).toEqual({ httpGet: { path: "/health", port: 8000, scheme: "HTTP" } });
    });

    test("wget keeps its --name=value options", () => {
        expect(actionOf("HEALTHCHECK CMD wget -q --header=X-A:1 -O- http://localhost:8000/h")).toEqual({
            httpGet: { path: "/h", port: 8000, scheme: "HTTP", httpHeaders: [{ name: "X-A", value: "1" }] },
        });
    });
});

describe("nested defaults in a shell-form check", () => {
    test("${A:-${PORT}} is left to the container's shell: an exec probe, not an error", () => {
        const command = "curl -f http://localhost:${A:-${PORT}}/h";
        expect(actionOf(`HEALTHCHECK CMD ${command}`)).toEqual(shellExec(command));
    });
});
