// biome-ignore-all lint/suspicious/noTemplateCurlyInString: validations are Terraform expressions.
import { Fn, Op, Token } from "cdktn";
import type { Construct } from "constructs";
import {
  DEFAULT_HISTORY_CHANNELS,
  DEFAULT_HISTORY_RETENTION_DAYS,
  MAX_CHANNEL_LENGTH,
  MAX_PATTERNS,
} from "../src/contract/index.js";
import { declareVariable } from "./variables.js";

/** The channel history's variables (docs/channels.md#history); Terraform references, resolved at plan time. */
export interface HistoryVariables {
  /** Days a message is kept; 0 keeps none. */
  retentionDays: number;
  /**
   * What the function's `HISTORY_CHANNELS` is: the patterns joined with commas, or empty when the retention is 0
   * (the function then writes and reads no history at all).
   */
  channelsSetting: string;
}

/**
 * Declares the history's variables, with validations that fail the plan on a value the function would refuse at
 * cold start (`src/app/config.ts` checks the same).
 * @param scope - the stack
 */
export function declareHistoryVariables(scope: Construct): HistoryVariables {
  const retention = declareVariable(
    scope,
    "history_retention_days",
    "number",
    DEFAULT_HISTORY_RETENTION_DAYS,
    "Days the channel history keeps a message (an S3 lifecycle rule expires it); 0 turns history off: no positions, no recovery.",
    {
      condition:
        "${var.history_retention_days >= 0 && floor(var.history_retention_days) == var.history_retention_days}",
      errorMessage: "history_retention_days must be a whole number of days, 0 (history off) or more.",
    },
  );
  // The pattern grammar of a token's rights (src/contract/grammar.ts): segments of [A-Za-z0-9_.-], "*" for one
  // segment, "**" last for the rest.
  const segment = "(\\\\*|[A-Za-z0-9_.-]+)";
  const channels = declareVariable(
    scope,
    "history_channels",
    "list(string)",
    [...DEFAULT_HISTORY_CHANNELS],
    'Channel patterns whose messages are kept in the history, with positions (the grammar of a token\'s rights, e.g. "news/**"); ["**"] is every channel.',
    {
      condition: `\${length(var.history_channels) <= ${MAX_PATTERNS} && alltrue([for p in var.history_channels : length(p) <= ${MAX_CHANNEL_LENGTH} && can(regex("^(${segment}/)*(\\\\*\\\\*|${segment})$", p))])}`,
      errorMessage: `history_channels must hold at most ${MAX_PATTERNS} channel patterns such as "**" or "news/**": segments of letters, digits, "_", "." and "-", "*" for one segment, "**" last.`,
    },
  );
  return {
    retentionDays: retention.numberValue,
    channelsSetting: Token.asString(
      Fn.conditional(Op.gt(retention.numberValue, 0), Fn.join(",", channels.listValue), ""),
    ),
  };
}
