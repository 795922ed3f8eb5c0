import { describe, expect, it } from "vitest";
import { heapFlags } from "../../../util/local-stack/lambda/execution-environment.js";

describe("the local Lambda environments' heap", () => {
  it("is sized from the function's memory as Lambda's Node.js bootstrap sizes it", () => {
    // Prepare / Act
    const at256 = heapFlags("256");
    const at1769 = heapFlags("1769");
    // Assess: a tenth for the young generation (two semi-spaces), the rest for the old one
    expect(at256).toEqual(["--max-semi-space-size=12", "--max-old-space-size=231"]);
    expect(at1769).toEqual(["--max-semi-space-size=88", "--max-old-space-size=1593"]);
    expect(heapFlags(undefined)).toEqual([]);
    expect(heapFlags("lots")).toEqual([]);
  });
});
