/** `npm run client:contract`: rewrites `client/src/contract.ts` from the service (see ./contract.ts). */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { CONTRACT_PATH, renderContract } from "./contract.js";

const text = renderContract();
const current = existsSync(CONTRACT_PATH) ? readFileSync(CONTRACT_PATH, "utf8") : undefined;
if (current !== text) writeFileSync(CONTRACT_PATH, text);
process.stdout.write(`${CONTRACT_PATH}: ${current === text ? "up to date" : "updated"}\n`);
