import { describe, expect, it } from "vitest";
import { BROWSER_PATHS, findChromium } from "./chromium.js";

describe("findChromium", () => {
  it("takes FANOUT_CHROMIUM first, wherever it is", () => {
    // Prepare / Act
    const found = findChromium(
      { FANOUT_CHROMIUM: "/opt/my/chrome" },
      "linux",
      (path) => path === "/opt/my/chrome",
    );

    // Assess
    expect(found).toBe("/opt/my/chrome");
  });

  it("refuses a FANOUT_CHROMIUM that is not there, rather than falling back silently", () => {
    // Prepare / Act
    const act = () => findChromium({ FANOUT_CHROMIUM: "/nope" }, "linux", (path) => path !== "/nope");

    // Assess
    expect(act).toThrow("FANOUT_CHROMIUM=/nope is not an executable file");
  });

  it.each([
    ["linux", "/usr/bin/chromium", "Debian"],
    ["linux", "/snap/bin/chromium", "Ubuntu's snap"],
    ["linux", "/usr/bin/google-chrome", "Google Chrome on Linux"],
    ["darwin", "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome", "macOS"],
  ])("finds %s's %s (%s)", (platform, path) => {
    // Prepare / Act
    const found = findChromium({}, platform, (candidate) => candidate === path);

    // Assess
    expect(found).toBe(path);
  });

  it("prefers Debian's chromium, which CI installs, when several are there", () => {
    // Prepare / Act
    const found = findChromium({}, "linux", () => true);

    // Assess
    expect(found).toBe(BROWSER_PATHS.linux?.[0]);
  });

  it("fails naming what to install and where it looked, when there is none", () => {
    // Prepare / Act
    const act = () => findChromium({}, "linux", () => false);

    // Assess
    expect(act).toThrow(
      /^the console's browser test needs Chromium or Google Chrome \(looked in \/usr\/bin\/chromium, .*\): install one \(Debian: apt-get install chromium; Ubuntu: snap install chromium; macOS: .*\), or set FANOUT_CHROMIUM=\/path\/to\/chrome$/,
    );
  });
});
