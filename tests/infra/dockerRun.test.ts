/**
 * The docker-run plan without Docker: what it derives from the rendered dev Deployment (the
 * image tests run the plan itself, tests/image/pipeline.test.ts).
 */
import type { KubernetesObject } from "../../infra/k8s/kubernetesObject";
import { dockerRunPlan } from "../../infra/tools/docker/dockerRun";
import { renderStack, type Render } from "../../infra/tools/render/render";
import { devStackWith, projectWith } from "./projectFixture";

let render: Render;
beforeAll(async () => {
    render = await renderStack("dev", projectWith("dev", devStackWith("  ragstar:adminToken:\n    secure: v1:c2VjcmV0LWNpcGhlcnRleHQ=\n")));
});

const deployment = () => render.objects.find((o) => o.kind === "Deployment") as KubernetesObject & Record<string, any>;
const options = { hostDir: "/tmp/plan", volumePrefix: "t-", secretValues: { admin_token: "token" } };

test("plans the Deployment's app container with the pod's hardening", () => {
    const plan = dockerRunPlan(deployment(), render.objects, options);
    expect(plan.container).toBe(deployment().spec.template.spec.containers[0]);
    expect(plan.args.join(" ")).toContain("--user 1000:1000 --group-add 1000 --read-only --security-opt no-new-privileges --cap-drop ALL");
    expect(plan.args).toContain("RAGSTAR_ADMIN_TOKEN_FILE=/run/secrets/ragstar/admin_token");
    expect(plan.files).toContainEqual({ relativePath: "secrets/admin_token", content: "token", mode: 0o440, group: 1000 });
    expect(plan.volumes).toEqual(["t-ragstar-data"]);
    expect(plan.terminationGracePeriodSeconds).toBe(30);
});

test("refuses an object without a pod spec or without an app container", () => {
    const configMap = render.objects.find((o) => o.kind === "ConfigMap")!;
    expect(() => dockerRunPlan(configMap, render.objects, options)).toThrow(/^ConfigMap ragstar-config-\w+ has no pod spec with a container$/);
    const empty = structuredClone(deployment());
    empty.spec.template.spec.containers = [];
    expect(() => dockerRunPlan(empty, render.objects, options)).toThrow("Deployment ragstar has no pod spec with a container");
});
