import { homedir } from "node:os";
import { join } from "node:path";
import { isExecutable as isExecutableFile } from "../cli/support/run.js";

/** The variable that names a browser to use, wherever it is installed. */
const CHROMIUM_ENV = "FANOUT_CHROMIUM";

/** Where Chromium and Google Chrome install themselves, in the order they are tried, per platform. */
export const BROWSER_PATHS: Readonly<Record<string, readonly string[]>> = {
  linux: [
    "/usr/bin/chromium", // Debian's chromium package (what .ci/run installs)
    "/snap/bin/chromium", // Ubuntu's chromium snap
    "/usr/bin/chromium-browser", // Ubuntu's transitional package (it runs the snap), other distributions
    "/usr/bin/google-chrome",
    "/usr/bin/google-chrome-stable",
    "/opt/google/chrome/chrome",
  ],
  darwin: [
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    join(homedir(), "Applications/Google Chrome.app/Contents/MacOS/Google Chrome"),
    join(homedir(), "Applications/Chromium.app/Contents/MacOS/Chromium"),
  ],
};

/** What to install, said for the platform at hand. */
const INSTALL_HINT =
  "install one (Debian: apt-get install chromium; Ubuntu: snap install chromium; macOS: Google Chrome from " +
  `https://www.google.com/chrome/ or brew install --cask chromium), or set ${CHROMIUM_ENV}=/path/to/chrome`;

/**
 * The Chromium or Google Chrome the browser tests drive: `$FANOUT_CHROMIUM` when set, else the first installed of
 * {@link BROWSER_PATHS} for the platform.
 * @param env - the environment (for the variable)
 * @param platform - `process.platform`
 * @param isExecutable - whether a path is an executable file (injectable for tests)
 * @throws Error naming what to install, or what is wrong with `$FANOUT_CHROMIUM`
 */
export function findChromium(
  env: NodeJS.ProcessEnv = process.env,
  platform: string = process.platform,
  isExecutable: (path: string) => boolean = isExecutableFile,
): string {
  const chosen = env[CHROMIUM_ENV];
  if (chosen !== undefined && chosen !== "") {
    if (isExecutable(chosen)) return chosen;
    throw new Error(
      `${CHROMIUM_ENV}=${chosen} is not an executable file: point it at a Chromium or Chrome binary`,
    );
  }
  const candidates = BROWSER_PATHS[platform] ?? [];
  const found = candidates.find(isExecutable);
  if (found !== undefined) return found;
  const looked = candidates.length > 0 ? ` (looked in ${candidates.join(", ")})` : "";
  throw new Error(`the console's browser test needs Chromium or Google Chrome${looked}: ${INSTALL_HINT}`);
}
