import { describe, expect, it } from "vitest";
import { ROUTE_KEYS, selectRouteKey } from "../../../src/contract/index.js";

describe("selectRouteKey", () => {
  it.each([
    ['{"action":"broadcast","message":1}', "broadcast"],
    ['{"action":"ping"}', "ping"],
    ['{"action":"$connect"}', "$default"],
    ['{"action":"shout"}', "$default"],
    ['{"action":["ping"]}', "$default"],
    ["[1]", "$default"],
    ["nope", "$default"],
    [undefined, "$default"],
  ])("selects the route of %j as %s", (body, routeKey) => {
    // Prepare: the frame above (undefined: a binary frame)

    // Act
    const selected = selectRouteKey(body);

    // Assess
    expect(selected).toBe(routeKey);
    expect(ROUTE_KEYS).toContain(selected);
  });
});
