import { readStageFacts } from "../../infra/dockerfile/facts";
import { isLoopbackHost, isUnspecifiedHost } from "../../infra/loopback";
import { deriveAction } from "../../infra/probes/action";
import { loopbackBindProblem } from "../../infra/probes/bindAddress";
import { registryBaseUrl } from "../../infra/tools/promotion/registryCheck";

describe("the loopback rule (RFC 1122 §3.2.1.3, RFC 4291 §2.5.3, RFC 6761 §6.3)", () => {
    test.each(["localhost", "LocalHost", "127.0.0.1", "127.1.2.3", "127.255.255.255", "::1", "[::1]"])("%s is loopback", (host) => {
        expect(isLoopbackHost(host)).toBe(true);
        expect(isUnspecifiedHost(host)).toBe(false);
    });

    test.each(["0.0.0.0", "::", "[::]", "128.0.0.1", "10.127.0.1", "127.0.0", "app.localhost", "localhost.", "localhost.example.com", "::2", "[::1]:8000", ""])("%s is not loopback", (host) => {
        expect(isLoopbackHost(host)).toBe(false);
    });

    test.each(["0.0.0.0", "::", "[::]"])("%s is the unspecified address, not loopback", (host) => {
        expect(isUnspecifiedHost(host)).toBe(true);
        expect(isLoopbackHost(host)).toBe(false);
    });
});

describe("its three users agree", () => {
    const actionOf = (url: string) => {
        const facts = readStageFacts(`FROM scratch\nHEALTHCHECK CMD curl -f ${url}\n`, "test/Dockerfile");
        if (facts.healthcheck?.kind !== "check") throw new Error("no check");
        return deriveAction(facts, facts.healthcheck.command).action;
    };
    const bindProblem = (host: string) => loopbackBindProblem(readStageFacts(`FROM scratch\nCMD ["uvicorn", "app:app", "--host", "${host}"]\n`, "test/Dockerfile"));

    test.each(["localhost", "127.0.0.1", "127.0.0.2", "[::1]", "0.0.0.0", "[::]"])("a check fetching http://%s:8000/h becomes httpGet", (host) => {
        expect(actionOf(`http://${host}:8000/h`)).toEqual({ httpGet: { path: "/h", port: 8000, scheme: "HTTP" } });
    });

    test("a check fetching another host stays exec", () => {
        expect(actionOf("http://app.localhost:8000/h")).toHaveProperty("exec");
        expect(actionOf("http://10.0.0.1:8000/h")).toHaveProperty("exec");
    });

    test.each(["localhost", "LOCALHOST", "127.0.0.1", "127.0.0.2", "::1", "[::1]"])("a server bound to %s is refused", (host) => {
        expect(bindProblem(host)).toContain(`binds the server to ${host}`);
    });

    test.each(["0.0.0.0", "::", "[::]"])("a server bound to %s is accepted", (host) => {
        expect(bindProblem(host)).toBeUndefined();
    });

    test.each([
        ["localhost:5000", "http://localhost:5000"],
        ["LOCALHOST:5000", "http://LOCALHOST:5000"],
        ["127.0.0.1:5000", "http://127.0.0.1:5000"],
        ["127.0.0.2", "http://127.0.0.2"],
        ["[::1]:5000", "http://[::1]:5000"],
        ["0.0.0.0:5000", "https://0.0.0.0:5000"],
        ["registry.example.com", "https://registry.example.com"],
    ])("the registry %s is reached at %s", (registry, base) => {
        expect(registryBaseUrl(registry)).toBe(base);
    });
});
