/**
 * The program's validation (infra/program.ts): every problem of the stack name, the stack config,
 * the service config and the Dockerfile found in one run is reported in one error; a Dockerfile
 * problem alone stays a DockerfileError with its line. Single problems and their exact messages
 * are in render.test.ts; that nothing is registered after a refusal, in ordering.test.ts.
 */
import * as fs from "node:fs";

import { ConfigError, DockerfileError } from "../../infra/errors";
import { renderStack } from "../../infra/tools/render/render";
import { devStackSetting, projectWith, REPO_ROOT } from "./projectFixture";

const DOCKERFILE = fs.readFileSync(`${REPO_ROOT}/Dockerfile`, "utf8");
const lineOf = (text: string, line: string) => text.split("\n").indexOf(line) + 1;
const refusal = (promise: Promise<unknown>): Promise<Error> => promise.then(() => { throw new Error("expected the render to fail"); }, (e: Error) => e);
const withUser = (user: string) => DOCKERFILE.replace("USER ${APP_UID}:${APP_UID}", user);
const devImage = { registry: "registry.example.com/platform", repository: "ragstar", platform: "linux/amd64" };

test("a stack name that is no label value and a bad stack config: one ConfigError with both", async () => {
    const error = await refusal(renderStack("dev_", projectWith("dev_", devStackSetting({ "ragstar:tmpSizeLimit": "64MB" }))));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
        expect.stringMatching(/^stack name: "dev_": is the app\.kubernetes\.io\/instance label of every object/),
        expect.stringMatching(/^ragstar:tmpSizeLimit: "64MB": not a Kubernetes quantity/),
    ]);
    expect(error.message).toMatch(/^stack "dev_": invalid stack config:\n/);
});

test("a build argument the Dockerfile does not declare and a USER that is not runAsUser: one ConfigError with both", async () => {
    const dockerfile = withUser("USER 2000:2000");
    const stackYaml = devStackSetting({ "ragstar:image": { ...devImage, buildArgs: { NOPE: "x" } } });
    const error = await refusal(renderStack("dev", projectWith("dev", stackYaml, { Dockerfile: dockerfile })));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
        expect.stringMatching(/^ragstar:image\.buildArgs\.NOPE: "x": Dockerfile, target "runtime" declares no ARG NOPE; declared: /),
        expect.stringContaining(`Dockerfile:${lineOf(dockerfile, "USER 2000:2000")}: USER 2000:2000 runs as UID 2000 but the stack config sets ragstar:runAsUser 1000`),
    ]);
});

test("two Dockerfile problems: one ConfigError listing both with their lines", async () => {
    const dockerfile = withUser("USER 2000:2000").replace("RAGSTAR_DB_PATH=/app/ragstar_db", "RAGSTAR_DB_PATH=/tmp/db");
    const error = await refusal(renderStack("dev", projectWith("dev", fs.readFileSync(`${REPO_ROOT}/Pulumi.dev.yaml`, "utf8"), { Dockerfile: dockerfile })));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
        expect.stringContaining(`Dockerfile:${lineOf(dockerfile, "USER 2000:2000")}: USER 2000:2000 runs as UID 2000`),
        expect.stringMatching(/Dockerfile:\d+: RAGSTAR_DB_PATH "\/tmp\/db", the data directory's mount path, overlaps the tmp volume mounted at \/tmp/),
    ]);
});

test("a Dockerfile problem alone stays a DockerfileError, with its line", async () => {
    const dockerfile = DOCKERFILE.replace("RAGSTAR_DB_PATH=/app/ragstar_db", "RAGSTAR_DB_PATH=/tmp/db");
    const error = await refusal(renderStack("dev", projectWith("dev", fs.readFileSync(`${REPO_ROOT}/Pulumi.dev.yaml`, "utf8"), { Dockerfile: dockerfile })));
    expect(error).toBeInstanceOf(DockerfileError);
    expect((error as DockerfileError).line).toBeGreaterThan(0);
    expect(error.message).toContain('RAGSTAR_DB_PATH "/tmp/db", the data directory\'s mount path, overlaps the tmp volume mounted at /tmp');
});

test("the Dockerfile is not read against a stack config that failed: only the config's problems", async () => {
    const error = await refusal(renderStack("dev", projectWith("dev", devStackSetting({ "ragstar:tmpSizeLimit": "64MB" }), { Dockerfile: withUser("USER 2000:2000") })));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([expect.stringMatching(/^ragstar:tmpSizeLimit: "64MB"/)]);
});
