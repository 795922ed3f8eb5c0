import { readFileSync } from "node:fs";

/** One block of synthesized Terraform JSON (a resource, data source, output, ...). */
// biome-ignore lint/suspicious/noExplicitAny: synthesized Terraform is untyped JSON; tests assert its shape.
export type Block = Record<string, any>;

/** The synthesized stack (`cdk.tf.json`), with lookups by construct path rather than by generated logical id. */
export class TerraformJson {
  /** The parsed `cdk.tf.json`. */
  readonly root: Block;

  /** @param file - path of `cdk.tf.json` */
  constructor(file: string) {
    this.root = JSON.parse(readFileSync(file, "utf8")) as Block;
  }

  /** Every block of a resource (or, with `kind: "data"`, data source) type, by logical id. */
  all(type: string, kind: "resource" | "data" = "resource"): Record<string, Block> {
    return (this.root[kind]?.[type] ?? {}) as Record<string, Block>;
  }

  /**
   * The logical id and block of the one resource of `type` whose construct path is `fanout/<path>`.
   * @throws when there is not exactly one
   */
  find(type: string, path: string, kind: "resource" | "data" = "resource"): { id: string; block: Block } {
    const found = Object.entries(this.all(type, kind)).filter(
      ([, block]) => block["//"]?.metadata?.path === `fanout/${path}`,
    );
    if (found.length !== 1) throw new Error(`expected one ${type} at fanout/${path}, found ${found.length}`);
    const [id, block] = found[0] as [string, Block];
    return { id, block };
  }

  /** The block of the resource at `fanout/<path>`. */
  get(type: string, path: string, kind: "resource" | "data" = "resource"): Block {
    return this.find(type, path, kind).block;
  }

  /** The Terraform reference `${<type>.<id>.<attribute>}` to the resource at `fanout/<path>`. */
  ref(type: string, path: string, attribute: string, kind: "resource" | "data" = "resource"): string {
    const prefix = kind === "data" ? "data." : "";
    return `\${${prefix}${type}.${this.find(type, path, kind).id}.${attribute}}`;
  }

  /** The statements of the `aws_iam_policy_document` at `fanout/<path>`. */
  statements(path: string): Block[] {
    return this.get("aws_iam_policy_document", path, "data").statement as Block[];
  }
}
