import { ref, TerraformStack } from "cdktn";
import type { IConstruct } from "constructs";

/** A resource, data source or ephemeral resource created with `count`. */
interface Counted extends IConstruct {
  readonly terraformResourceType: string;
  readonly friendlyUniqueId: string;
}

/**
 * A reference to an attribute of the first instance of a counted block (`aws_x.id[0].arn`), usable inside
 * `Fn.conditional` (a `${…}` string there would be quoted as a literal).
 * @param block - the counted block
 * @param attribute - the attribute's Terraform name
 * @param kind - `resource` (default), `data` or `ephemeral`
 */
export function firstOf(
  block: Counted,
  attribute: string,
  kind: "resource" | "data" | "ephemeral" = "resource",
): string {
  const prefix = kind === "resource" ? "" : `${kind}.`;
  return ref(
    `${prefix}${block.terraformResourceType}.${block.friendlyUniqueId}[0].${attribute}`,
    TerraformStack.of(block),
  ) as unknown as string;
}
