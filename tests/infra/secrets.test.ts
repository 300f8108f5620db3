/** The Secret body builders: the service's secret files and the kubelet's pull credentials. */
import { pullSecretBody, serviceSecretBody } from "../../infra/k8s/secrets";

test("the service's secret files: Opaque, one key each, in the given order", () => {
    const body = serviceSecretBody(["admin_token", "github_token"], { github_token: "g", admin_token: "a" });
    expect(body).toEqual({ type: "Opaque", stringData: { admin_token: "a", github_token: "g" } });
    expect(Object.keys(body.stringData as object)).toEqual(["admin_token", "github_token"]);
});

test("the pull credentials: a kubernetes.io/dockerconfigjson Secret", () => {
    expect(pullSecretBody('{"auths":{}}')).toEqual({ type: "kubernetes.io/dockerconfigjson", stringData: { ".dockerconfigjson": '{"auths":{}}' } });
});
