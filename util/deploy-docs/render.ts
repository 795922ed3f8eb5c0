/**
 * The deploy docs generated from the synthesized stack (`cdk.tf.json`, what `npm run synth` writes): every variable,
 * every output, the blocks by type with what a deployment with the defaults creates, the AWS actions a deployer
 * needs (docs/deploy.md and docs/deployer-policy.json) and the cost at rest. It reads the Terraform JSON only:
 * `util/` imports nothing from `deployment/`.
 */
import { replaceSection } from "../lib/repo.js";
import { ACTIONS_BY_KIND, type BlockKind, PROVIDER_ACTIONS } from "./deployer-actions.js";
import { evaluate, type Value } from "./expression.js";
import { MONTHLY_PRICES, PRICES_READ, USAGE_AT_REST } from "./prices.js";

/** The parts of a synthesized `cdk.tf.json` the docs read. */
export interface TerraformJson {
  variable?: Record<string, { type?: string; default?: unknown; description?: string }>;
  output?: Record<string, { description?: string }>;
  resource?: Record<string, Record<string, TerraformBlock>>;
  data?: Record<string, Record<string, TerraformBlock>>;
  ephemeral?: Record<string, Record<string, TerraformBlock>>;
}

/** One block: its `count` (a Terraform expression) and CDK Terrain's construct path. */
interface TerraformBlock {
  count?: number | string;
  "//"?: { metadata?: { path?: string } };
}

/** Where the generated sections live, relative to the repository root. */
const DEPLOY_DOC = "docs/deploy.md";
/** The deployer's policy as a file to attach. */
const POLICY_FILE = "docs/deployer-policy.json";

/** One block type as the docs list it. */
interface BlockType {
  kind: BlockKind;
  type: string;
  /** Blocks declared. */
  declared: number;
  /** Blocks a deployment with every variable at its default creates. */
  withDefaults: number;
  /** How many blocks each `count` condition governs, as written (`always` for the unconditional ones). */
  conditions: Map<string, number>;
  /** The constructs that declare them (the first segment of the construct path), with how many each. */
  constructs: Map<string, number>;
}

/** The variables' defaults, as the `count` expressions see them. */
function defaults(tf: TerraformJson): Record<string, Value> {
  const values: Record<string, Value> = {};
  for (const [name, variable] of Object.entries(tf.variable ?? {})) {
    if (variable.default !== undefined) values[name] = variable.default as Value;
  }
  return values;
}

/** Every block type, by kind then type, with its counts. */
export function blockTypes(tf: TerraformJson): BlockType[] {
  const variables = defaults(tf);
  const types: BlockType[] = [];
  for (const kind of ["resource", "data", "ephemeral"] as const) {
    for (const [type, blocks] of Object.entries(tf[kind] ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
      const entry: BlockType = {
        kind,
        type,
        declared: 0,
        withDefaults: 0,
        conditions: new Map(),
        constructs: new Map(),
      };
      for (const block of Object.values(blocks)) {
        entry.declared += 1;
        const count = block.count === undefined ? 1 : Number(evaluate(String(block.count), variables));
        entry.withDefaults += count;
        const condition =
          typeof block.count === "string"
            ? `\`${block.count.replace(/^\$\{\(?(.*?)\)? \? 1 : 0\}$/, "$1")}\``
            : "always";
        entry.conditions.set(condition, (entry.conditions.get(condition) ?? 0) + 1);
        const construct = block["//"]?.metadata?.path?.split("/")[1] ?? "?";
        entry.constructs.set(construct, (entry.constructs.get(construct) ?? 0) + 1);
      }
      types.push(entry);
    }
  }
  return types;
}

/** When a type's blocks are created: `always`, or each condition with the number of blocks it governs. */
function when(t: BlockType): string {
  if (t.conditions.size === 1 && t.conditions.has("always")) return "always";
  return [...t.conditions]
    .map(([condition, n]) => `${n} ${condition === "always" ? "always" : `when ${condition}`}`)
    .join(", ");
}

/** A table cell: pipes escaped, line breaks flattened. */
function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ");
}

/** A Terraform default as it would be written in a tfvars file. */
function literal(value: unknown): string {
  return value === undefined ? "(required)" : `\`${JSON.stringify(value)}\``;
}

/** The variables: name, type, default, description. */
function renderVariables(tf: TerraformJson): string {
  const rows = Object.entries(tf.variable ?? {}).map(
    ([name, v]) =>
      `| \`${name}\` | ${v.type ?? "any"} | ${literal(v.default)} | ${cell(v.description ?? "")} |`,
  );
  return ["| variable | type | default | description |", "| --- | --- | --- | --- |", ...rows].join("\n");
}

/** The outputs: name and description. */
function renderOutputs(tf: TerraformJson): string {
  const rows = Object.entries(tf.output ?? {}).map(
    ([name, o]) => `| \`${name}\` | ${cell(o.description ?? "")} |`,
  );
  return ["| output | description |", "| --- | --- |", ...rows].join("\n");
}

/** The blocks by type: how many, how many with the defaults, when the others appear, and which construct. */
function renderResources(tf: TerraformJson): string {
  const types = blockTypes(tf);
  const rows = types.map((t) => {
    const name = t.kind === "resource" ? t.type : `${t.kind} ${t.type}`;
    const constructs = [...t.constructs].map(([c, n]) => (n > 1 ? `${c} (${n})` : c)).join(", ");
    return `| \`${name}\` | ${t.declared} | ${t.withDefaults} | ${cell(when(t))} | ${constructs} |`;
  });
  const declared = types.filter((t) => t.kind === "resource").reduce((sum, t) => sum + t.declared, 0);
  return [
    `${declared} resources are declared; conditional ones exist only when their \`count\` condition holds.`,
    "",
    "| type | declared | with the defaults | created when | declared by (construct) |",
    "| --- | ---: | ---: | --- | --- |",
    ...rows,
  ].join("\n");
}

/** The actions a deployer needs, by service, and which block types need them. */
export function deployerActions(
  tf: TerraformJson,
): Map<string, { actions: Set<string>; types: Set<string> }> {
  const byService = new Map<string, { actions: Set<string>; types: Set<string> }>();
  const add = (action: string, type: string) => {
    const service = action.split(":")[0] as string;
    const entry = byService.get(service) ?? { actions: new Set<string>(), types: new Set<string>() };
    entry.actions.add(action);
    entry.types.add(type);
    byService.set(service, entry);
  };
  for (const action of PROVIDER_ACTIONS) add(action, "the provider");
  for (const t of blockTypes(tf)) {
    const known = ACTIONS_BY_KIND[t.kind][t.type];
    if (known === undefined) {
      throw new Error(
        `${t.kind} ${t.type} has no entry in util/deploy-docs/deployer-actions.ts: add the AWS actions it needs`,
      );
    }
    for (const action of known.actions) add(action, t.type);
  }
  return new Map([...byService].sort(([a], [b]) => a.localeCompare(b)));
}

/** The `app_name` default: IAM statements are scoped to the roles the stack names after it. */
function appName(tf: TerraformJson): string {
  const name = tf.variable?.app_name?.default;
  if (typeof name !== "string") throw new Error("the stack has no app_name default: the IAM scope needs it");
  return name;
}

/**
 * The deployer's IAM policy: one statement per service. IAM is scoped to the roles named `<app_name>-*`, and a
 * role can be passed only to Lambda and API Gateway: those are the actions that could grant more than the stack.
 * The rest is `*`: API Gateway, KMS and event source mappings get generated ids that no pattern can name ahead.
 */
export function renderPolicy(tf: TerraformJson): string {
  const roles = `arn:aws:iam::*:role/${appName(tf)}-*`;
  const statements: object[] = [];
  for (const [service, { actions }] of deployerActions(tf)) {
    const sorted = [...actions].filter((a) => a !== "iam:PassRole").sort();
    if (sorted.length === 0) continue;
    const sid = service.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());
    statements.push({ Sid: sid, Effect: "Allow", Action: sorted, Resource: service === "iam" ? roles : "*" });
  }
  statements.push({
    Sid: "PassTheStacksRoles",
    Effect: "Allow",
    Action: ["iam:PassRole"],
    Resource: roles,
    Condition: {
      StringEquals: { "iam:PassedToService": ["apigateway.amazonaws.com", "lambda.amazonaws.com"] },
    },
  });
  return `${JSON.stringify({ Version: "2012-10-17", Statement: statements }, null, 2)}\n`;
}

/** The deployer's permissions as a table. */
function renderPermissions(tf: TerraformJson): string {
  const rows = [...deployerActions(tf)].map(
    ([service, { actions, types }]) =>
      `| ${service} | ${[...actions]
        .sort()
        .map((a) => `\`${a.split(":")[1]}\``)
        .join(", ")} | ${[...types].join(", ")} |`,
  );
  return [
    `As an IAM policy to attach: [\`${POLICY_FILE.replace("docs/", "")}\`](${POLICY_FILE.replace("docs/", "")}) ` +
      `(IAM limited to the roles named \`${appName(tf)}-*\`, and passed to Lambda and API Gateway only; change the ` +
      "prefix if you change `app_name`).",
    "",
    "| service | actions | needed for |",
    "| --- | --- | --- |",
    ...rows,
  ].join("\n");
}

/** What the stack costs at rest with the defaults, from the block counts. */
function renderCostAtRest(tf: TerraformJson): string {
  const rows: string[] = [];
  let total = 0;
  for (const t of blockTypes(tf)) {
    const price = MONTHLY_PRICES[t.type];
    if (price === undefined || t.kind !== "resource") continue;
    const monthly = price.usdPerMonth * t.withDefaults;
    total += monthly;
    const conditional = t.withDefaults < t.declared ? ` (${cell(when(t))})` : "";
    rows.push(
      `| ${price.what} (\`${t.type}\`) | ${t.withDefaults}${conditional} | ${price.note} ([price](${price.source})) | $${monthly.toFixed(2)} |`,
    );
  }
  for (const usage of USAGE_AT_REST) {
    rows.push(`| ${usage.what} | - | ${usage.estimate} ([price](${usage.source})) | estimate |`);
  }
  return [
    `With the defaults, about **$${total.toFixed(2)} a month** while nobody is connected, plus the estimates below ` +
      `(us-east-1 list prices, read ${PRICES_READ}; check the linked pages for your region and date).`,
    "",
    "| what | with the defaults | price | a month |",
    "| --- | --- | --- | ---: |",
    ...rows,
  ].join("\n");
}

/** Each generated section of docs/deploy.md, by marker name. */
const DEPLOY_SECTIONS: Readonly<Record<string, (tf: TerraformJson) => string>> = {
  "deploy:variables": renderVariables,
  "deploy:outputs": renderOutputs,
  "deploy:resources": renderResources,
  "deploy:permissions": renderPermissions,
  "deploy:cost-at-rest": renderCostAtRest,
};

/**
 * The files the generated deploy docs should be, given the synthesized stack.
 * @param readDoc - reads a file of the repository (relative path), for the sections to be replaced in it
 * @param tf - the parsed `cdk.tf.json`
 * @returns file (relative to the repository root) → its full expected text
 */
export function renderDeployDocs(readDoc: (file: string) => string, tf: TerraformJson): Map<string, string> {
  let doc = readDoc(DEPLOY_DOC);
  for (const [name, render] of Object.entries(DEPLOY_SECTIONS)) doc = replaceSection(doc, name, render(tf));
  return new Map([
    [DEPLOY_DOC, doc],
    [POLICY_FILE, renderPolicy(tf)],
  ]);
}
