/**
 * Cuts a source map down to the sources a stack trace is read against: ours. The Lambda bundle's map otherwise
 * maps every SDK column too (the larger half of the zip), yet a frame inside the SDK is read against the SDK's
 * published code, not through our map. Columns of dropped sources become explicitly unmapped (a one-field
 * segment), so Node's `--enable-source-maps` never attributes SDK code to one of our lines.
 */

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const BASE64_VALUES = new Map([...BASE64].map((char, index) => [char, index]));

/** The fields of a version 3 source map that trimming reads and writes; others are kept as they are. */
export interface SourceMapV3 {
  version: 3;
  sources: string[];
  names: string[];
  mappings: string;
  sourcesContent?: (string | null)[];
  [field: string]: unknown;
}

/** Decodes one segment's Base64 VLQ fields. */
function decodeSegment(segment: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = BASE64_VALUES.get(char);
    if (digit === undefined) throw new Error(`invalid Base64 VLQ character "${char}" in source map mappings`);
    value += (digit & 31) * 2 ** shift;
    if (digit & 32) {
      shift += 5;
    } else {
      values.push(value & 1 ? -Math.floor(value / 2) : Math.floor(value / 2));
      value = 0;
      shift = 0;
    }
  }
  return values;
}

/** Encodes one signed value as Base64 VLQ. */
function encodeValue(signed: number): string {
  let value = signed < 0 ? -signed * 2 + 1 : signed * 2;
  let out = "";
  do {
    let digit = value & 31;
    value = Math.floor(value / 32);
    if (value > 0) digit |= 32;
    out += BASE64[digit];
  } while (value > 0);
  return out;
}

/**
 * Keeps the mappings whose source passes `keep`, with `sources` (and `sourcesContent`) and `names` renumbered.
 * @param map - a version 3 source map (not an index map)
 * @param keep - whether a source (as written in `sources`) stays mapped
 */
export function trimSourceMap(map: SourceMapV3, keep: (source: string) => boolean): SourceMapV3 {
  const sourceIndex = new Map<number, number>();
  const sources: string[] = [];
  const sourcesContent: (string | null)[] = [];
  map.sources.forEach((source, index) => {
    if (!keep(source)) return;
    sourceIndex.set(index, sources.length);
    sources.push(source);
    if (map.sourcesContent) sourcesContent.push(map.sourcesContent[index] ?? null);
  });
  const nameIndex = new Map<number, number>();
  const names: string[] = [];

  // Absolute positions in the input, and the previous values written to the output (VLQ fields are deltas).
  let inSource = 0;
  let inLine = 0;
  let inColumn = 0;
  let inName = 0;
  let outSource = 0;
  let outLine = 0;
  let outColumn = 0;
  let outName = 0;

  const lines = map.mappings.split(";").map((line) => {
    let generated = 0;
    let outGenerated = 0;
    let lastMapped = false;
    const segments: string[] = [];
    for (const raw of line === "" ? [] : line.split(",")) {
      const fields = decodeSegment(raw);
      generated += fields[0] ?? 0;
      let kept: number | undefined;
      if (fields.length >= 4) {
        inSource += fields[1] ?? 0;
        inLine += fields[2] ?? 0;
        inColumn += fields[3] ?? 0;
        kept = sourceIndex.get(inSource);
      }
      if (fields.length >= 5) inName += fields[4] ?? 0;
      if (kept === undefined) {
        // One unmapped segment ends the previous mapping; a run of them says nothing more.
        if (!lastMapped) continue;
        segments.push(encodeValue(generated - outGenerated));
        outGenerated = generated;
        lastMapped = false;
        continue;
      }
      let segment =
        encodeValue(generated - outGenerated) +
        encodeValue(kept - outSource) +
        encodeValue(inLine - outLine) +
        encodeValue(inColumn - outColumn);
      outGenerated = generated;
      outSource = kept;
      outLine = inLine;
      outColumn = inColumn;
      if (fields.length >= 5) {
        let name = nameIndex.get(inName);
        if (name === undefined) {
          name = names.length;
          nameIndex.set(inName, name);
          names.push(map.names[inName] ?? "");
        }
        segment += encodeValue(name - outName);
        outName = name;
      }
      segments.push(segment);
      lastMapped = true;
    }
    return segments.join(",");
  });

  const trimmed: SourceMapV3 = { ...map, sources, names, mappings: lines.join(";") };
  if (map.sourcesContent) trimmed.sourcesContent = sourcesContent;
  else delete trimmed.sourcesContent;
  return trimmed;
}

/**
 * Decodes a map's mappings into absolute segments, for tests and checks:
 * `[generatedLine, generatedColumn, source?, originalLine?, originalColumn?, name?]`.
 * @param map - a version 3 source map
 */
export function decodeMappings(map: Pick<SourceMapV3, "mappings" | "sources" | "names">): {
  line: number;
  column: number;
  source?: string;
  originalLine?: number;
  originalColumn?: number;
  name?: string;
}[] {
  const out: ReturnType<typeof decodeMappings> = [];
  let source = 0;
  let originalLine = 0;
  let originalColumn = 0;
  let name = 0;
  map.mappings.split(";").forEach((line, lineIndex) => {
    let column = 0;
    for (const raw of line === "" ? [] : line.split(",")) {
      const fields = decodeSegment(raw);
      column += fields[0] ?? 0;
      if (fields.length < 4) {
        out.push({ line: lineIndex, column });
        continue;
      }
      source += fields[1] ?? 0;
      originalLine += fields[2] ?? 0;
      originalColumn += fields[3] ?? 0;
      const entry: (typeof out)[number] = {
        line: lineIndex,
        column,
        source: map.sources[source],
        originalLine,
        originalColumn,
      };
      if (fields.length >= 5) {
        name += fields[4] ?? 0;
        entry.name = map.names[name];
      }
      out.push(entry);
    }
  });
  return out;
}
