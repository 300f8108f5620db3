import { checkBuildArgs } from "../../infra/config/buildArgs";
import { declaredBuildArgs } from "../../infra/dockerfile/declaredArgs";
import { ConfigError } from "../../infra/errors";
import { imageBuildArgs } from "../../infra/image";
import { renderStack } from "../../infra/tools/render/render";
import { devStackSetting, projectWith, REPO_ROOT } from "./projectFixture";

const PINNED = `mirror.example.com/library/python@sha256:${"c".repeat(64)}`;
const withBuildArgs = (buildArgs: Record<string, string>) =>
    devStackSetting({ "ragstar:image": { registry: "registry.example.com/platform", repository: "ragstar", platform: "linux/amd64", buildArgs } });

test("the ARGs the repository's Dockerfile declares: global ones and those of the stages the target needs", () => {
    expect(declaredBuildArgs(`${REPO_ROOT}/Dockerfile`, "runtime")).toEqual(["APP_UID", "PYTHON_IMAGE", "UV_VERSION"]);
    expect(declaredBuildArgs(`${REPO_ROOT}/Dockerfile`, "builder")).toEqual(["PYTHON_IMAGE", "UV_VERSION"]);
});

test("a building stack can point the base image at a mirror pinned by digest; APP_UID still comes from runAsUser", async () => {
    const render = await renderStack("dev", projectWith("dev", withBuildArgs({ PYTHON_IMAGE: PINNED })));
    expect(render.imageSource).toBe("built");
    expect(imageBuildArgs({ runAsUser: 1000, image: { buildArgs: { PYTHON_IMAGE: PINNED } } })).toEqual({ PYTHON_IMAGE: PINNED, APP_UID: "1000" });
});

test.each([
    [{ NOPE: "x" }, 'ragstar:image.buildArgs.NOPE: "x": Dockerfile, target "runtime" declares no ARG NOPE; declared: PYTHON_IMAGE, UV_VERSION'],
    [{ APP_UID: "0" }, 'ragstar:image.buildArgs.APP_UID: "0": APP_UID is set from ragstar:runAsUser, not here'],
])("image.buildArgs %j is refused with key, value and the declared ARGs", async (buildArgs, message) => {
    const error = await renderStack("dev", projectWith("dev", withBuildArgs(buildArgs))).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([message]);
});

test("a PYTHON_IMAGE that is not pinned by digest is allowed, with a warning", () => {
    expect(checkBuildArgs({ PYTHON_IMAGE: "python:3.12.8-slim" }, ["PYTHON_IMAGE"], "Dockerfile")).toEqual({
        problems: [],
        warnings: ['ragstar:image.buildArgs.PYTHON_IMAGE: "python:3.12.8-slim" is not pinned by digest; a tag can move, so the same commit may build on another base (use REF@sha256:<64 hex>)'],
    });
    expect(checkBuildArgs({ PYTHON_IMAGE: PINNED }, ["PYTHON_IMAGE"], "Dockerfile")).toEqual({ problems: [], warnings: [] });
});
