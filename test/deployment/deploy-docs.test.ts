// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the expressions are Terraform's, not templates.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { RESOURCE_ACTIONS } from "../../util/deploy-docs/deployer-actions.js";
import { evaluate } from "../../util/deploy-docs/expression.js";
import {
  blockTypes,
  deployerActions,
  renderDeployDocs,
  renderPolicy,
  type TerraformJson,
} from "../../util/deploy-docs/render.js";
import { repoRoot } from "../../util/lib/repo.js";
import { synthesizedStack } from "./support/synth.js";

// Synthesized once for the file, as `npm run synth` does; the docs are rendered from that JSON.
const stack = synthesizedStack();
let tf: TerraformJson;

beforeAll(() => {
  tf = JSON.parse(readFileSync(join(stack.stackDir, "cdk.tf.json"), "utf8")) as TerraformJson;
});

const readRepo = (file: string) => readFileSync(join(repoRoot, file), "utf8");

describe("the deploy docs generated from the synthesized stack", () => {
  it("are exactly what the stack renders (run `npm run docs:deploy` after changing the stack)", () => {
    // Prepare / Act
    const expected = renderDeployDocs(readRepo, tf);

    // Assess: one comparison per file, so the failure shows the diff
    expect([...expected.keys()].sort()).toEqual(["docs/deploy.md", "docs/deployer-policy.json"]);
    for (const [file, text] of expected) expect(readRepo(file), file).toBe(text);
  });

  it("list every variable and every output of the stack, with the variable's default", () => {
    // Prepare
    const doc = readRepo("docs/deploy.md");

    // Act
    const variables = Object.entries(tf.variable ?? {});
    const outputs = Object.keys(tf.output ?? {});

    // Assess
    expect(variables.length).toBeGreaterThanOrEqual(37);
    for (const [name, variable] of variables) {
      expect(doc).toContain(`| \`${name}\` | ${variable.type} | \`${JSON.stringify(variable.default)}\` |`);
    }
    for (const name of outputs) expect(doc).toMatch(new RegExp(`^\\| \`${name}\` \\| \\S`, "m"));
  });

  it("give the deployer the actions of every type the stack declares, and a policy document AWS accepts", () => {
    // Prepare
    const types = blockTypes(tf)
      .filter((t) => t.kind === "resource")
      .map((t) => t.type);

    // Act
    const policy = JSON.parse(renderPolicy(tf)) as {
      Version: string;
      Statement: Array<{ Sid: string; Action: string[]; Resource: string; Condition?: unknown }>;
    };
    const granted = new Set(policy.Statement.flatMap((s) => s.Action));

    // Assess
    for (const type of types) {
      for (const action of RESOURCE_ACTIONS[type]?.actions ?? ["(no entry)"])
        expect(granted, type).toContain(action);
    }
    expect(types).toEqual(
      expect.arrayContaining([
        "aws_sqs_queue",
        "aws_secretsmanager_secret",
        "aws_lambda_event_source_mapping",
      ]),
    );
    expect(policy.Version).toBe("2012-10-17");
    for (const statement of policy.Statement) expect(statement.Sid).toMatch(/^[A-Za-z0-9]+$/);
    const passRole = policy.Statement.find((s) => s.Action.includes("iam:PassRole"));
    expect(passRole).toEqual({
      Sid: "PassTheStacksRoles",
      Effect: "Allow",
      Action: ["iam:PassRole"],
      Resource: "arn:aws:iam::*:role/fanout-*",
      Condition: {
        StringEquals: { "iam:PassedToService": ["apigateway.amazonaws.com", "lambda.amazonaws.com"] },
      },
    });
  });

  it("refuse a block type that has no actions yet, naming it and where to add them", () => {
    // Prepare
    const withNewType: TerraformJson = { ...tf, resource: { ...tf.resource, aws_dynamodb_table: { t: {} } } };

    // Act
    const act = () => deployerActions(withNewType);

    // Assess
    expect(act).toThrow(
      "resource aws_dynamodb_table has no entry in util/deploy-docs/deployer-actions.ts: add the AWS actions it needs",
    );
  });

  it("count what a deployment with the defaults creates, from the count conditions", () => {
    // Prepare / Act
    const byType = new Map(blockTypes(tf).map((t) => [`${t.kind} ${t.type}`, t]));

    // Assess: token mode by default (secret, authorizer), no logging role, no publisher key
    expect(byType.get("resource aws_secretsmanager_secret")?.withDefaults).toBe(1);
    expect(byType.get("resource aws_apigatewayv2_authorizer")?.withDefaults).toBe(1);
    expect(byType.get("resource aws_api_gateway_account")?.withDefaults).toBe(0);
    expect(byType.get("resource aws_kms_key")?.withDefaults).toBe(0);
    expect(byType.get("resource aws_lambda_function")?.withDefaults).toBe(2);
  });
});

describe("evaluate (the count expressions)", () => {
  const variables = { auth_mode: "token", jwks: "", principals: ["arn:x"], flag: false, n: 3 };

  it.each([
    ['${(var.auth_mode == "token") ? 1 : 0}', 1],
    ['${((var.auth_mode == "token") && (var.jwks == "")) ? 1 : 0}', 1],
    ['${var.auth_mode != "token" || var.flag ? 1 : 0}', 0],
    ["${(length(var.principals) > 0) ? 1 : 0}", 1],
    ["${!var.flag ? var.n : 0}", 3],
    ["${var.n >= 4 ? 1 : 0}", 0],
  ])("%s is %j with the defaults", (expression, expected) => {
    // Prepare / Act / Assess
    expect(evaluate(expression, variables)).toBe(expected);
  });

  it.each([
    ["${var.missing ? 1 : 0}", "var.missing has no default"],
    ['${upper("a")}', 'cannot read "upper(\\"a\\")"'],
    ["${var.auth_mode > 1 ? 1 : 0}", "> needs numbers"],
  ])("refuses %s, naming what it cannot read", (expression, message) => {
    // Prepare / Act
    const act = () => evaluate(expression, variables);

    // Assess
    expect(act).toThrow(message);
  });
});
