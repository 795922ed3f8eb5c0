/**
 * Evaluates the small part of Terraform's expression language the stack's `count` arguments use
 * (`${var.auth_mode == "token" ? 1 : 0}`), with each variable at its default, so that the generated docs can say
 * what a deployment with the defaults creates and costs. Anything outside that part throws, naming it: the
 * generator then needs to learn it, rather than guess.
 */

/** A value an expression can have. */
export type Value = string | number | boolean | readonly unknown[];

const TOKEN =
  /\s*(\d+(?:\.\d+)?|"(?:[^"\\]|\\.)*"|var\.[A-Za-z_][A-Za-z0-9_]*|length|true|false|==|!=|>=|<=|&&|\|\||[()?:!<>])/y;

/**
 * The value of a Terraform expression whose only references are variables.
 * @param expression - the expression, with or without its `${…}` wrapper
 * @param variables - each variable's value
 * @throws Error naming what it cannot read
 */
export function evaluate(expression: string, variables: Readonly<Record<string, Value>>): Value {
  const text = expression.startsWith("${") && expression.endsWith("}") ? expression.slice(2, -1) : expression;
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.trimEnd().length) {
    const at = TOKEN.lastIndex;
    const match = TOKEN.exec(text);
    if (!match) throw new Error(`cannot read ${JSON.stringify(text.slice(at))} in ${expression}`);
    tokens.push(match[1] as string);
  }
  let position = 0;
  const peek = () => tokens[position];
  const take = (expected?: string): string => {
    const token = tokens[position++];
    if (token === undefined || (expected !== undefined && token !== expected)) {
      throw new Error(`expected ${expected ?? "more"} at token ${position} of ${expression}`);
    }
    return token;
  };

  const ternary = (): Value => {
    const condition = or();
    if (peek() !== "?") return condition;
    take("?");
    const yes = ternary();
    take(":");
    const no = ternary();
    return condition === true ? yes : no;
  };
  const or = (): Value => {
    let value = and();
    while (peek() === "||") {
      take();
      const right = and();
      value = value === true || right === true;
    }
    return value;
  };
  const and = (): Value => {
    let value = comparison();
    while (peek() === "&&") {
      take();
      const right = comparison();
      value = value === true && right === true;
    }
    return value;
  };
  const comparison = (): Value => {
    const left = unary();
    const operator = peek();
    if (operator === undefined || !["==", "!=", ">", "<", ">=", "<="].includes(operator)) return left;
    take();
    const right = unary();
    if (operator === "==") return JSON.stringify(left) === JSON.stringify(right);
    if (operator === "!=") return JSON.stringify(left) !== JSON.stringify(right);
    if (typeof left !== "number" || typeof right !== "number")
      throw new Error(`${operator} needs numbers in ${expression}`);
    return { ">": left > right, "<": left < right, ">=": left >= right, "<=": left <= right }[
      operator
    ] as boolean;
  };
  const unary = (): Value => {
    if (peek() === "!") {
      take();
      return unary() !== true;
    }
    return primary();
  };
  const primary = (): Value => {
    const token = take();
    if (token === "(") {
      const value = ternary();
      take(")");
      return value;
    }
    if (token === "length") {
      take("(");
      const value = ternary();
      take(")");
      if (typeof value === "number" || typeof value === "boolean")
        throw new Error(`length of a ${typeof value}`);
      return value.length;
    }
    if (token === "true" || token === "false") return token === "true";
    if (token.startsWith('"')) return JSON.parse(token) as string;
    if (token.startsWith("var.")) {
      const value = variables[token.slice(4)];
      if (value === undefined) throw new Error(`${token} has no default in ${expression}`);
      return value;
    }
    if (/^\d/.test(token)) return Number(token);
    throw new Error(`unexpected ${token} in ${expression}`);
  };

  const value = ternary();
  if (position !== tokens.length) throw new Error(`unexpected ${tokens[position]} in ${expression}`);
  return value;
}
