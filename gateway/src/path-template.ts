/**
 * Parses `google.api.http` path templates:
 *
 *     Template = "/" Segments [ Verb ] ;
 *     Segments = Segment { "/" Segment } ;
 *     Segment  = "*" | "**" | LITERAL | Variable ;
 *     Variable = "{" FieldPath [ "=" Segments ] "}" ;
 *     Verb     = ":" LITERAL ;
 *
 * into a flat list of segments plus the variables that capture ranges of them.
 */

/** One segment to match: a literal, any one segment (`*`), or the rest of the path (`**`). */
export type Segment =
  | { readonly kind: "literal"; readonly value: string }
  | { readonly kind: "*" }
  | { readonly kind: "**" };

/** A variable binds segments [start, end) to a field path; `end` is undefined for `**`. */
export interface Variable {
  readonly fieldPath: string;
  readonly start: number;
  readonly end: number | undefined;
}

/** A parsed template; `verb` is "" when the template has none. */
export interface PathTemplate {
  readonly segments: readonly Segment[];
  readonly variables: readonly Variable[];
  readonly verb: string;
}

const identPath = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const literal = /^[A-Za-z0-9._~!$&'()+,;=@-]+$/;

/** Parses a template; throws with the template in the message when it breaks the grammar. */
export function parsePathTemplate(template: string): PathTemplate {
  const fail = (why: string): never => {
    throw new Error(`invalid path template "${template}": ${why}`);
  };
  if (!template.startsWith("/")) fail("must start with /");
  const [parts, verb] = splitTopLevel(template.slice(1), fail);
  const segments: Segment[] = [];
  const variables: Variable[] = [];
  for (const part of parts) {
    if (part.startsWith("{")) {
      if (!part.endsWith("}")) fail(`unclosed variable in "${part}"`);
      const [fieldPath = "", pattern = "*"] = part.slice(1, -1).split("=", 2);
      if (!identPath.test(fieldPath)) fail(`bad field path "${fieldPath}"`);
      const start = segments.length;
      for (const sub of pattern.split("/")) segments.push(parseSegment(sub, fail));
      const multi = segments.at(-1)?.kind === "**";
      variables.push({ fieldPath, start, end: multi ? undefined : segments.length });
    } else {
      segments.push(parseSegment(part, fail));
    }
  }
  if (segments.slice(0, -1).some((segment) => segment.kind === "**")) fail("** must be last");
  if (new Set(variables.map((v) => v.fieldPath)).size !== variables.length)
    fail("repeated variable");
  return { segments, variables, verb };
}

function parseSegment(text: string, fail: (why: string) => never): Segment {
  if (text === "*") return { kind: "*" };
  if (text === "**") return { kind: "**" };
  if (!literal.test(text)) fail(`bad segment "${text}"`);
  return { kind: "literal", value: text };
}

/** Splits on "/" outside braces and peels off a trailing ":verb". */
function splitTopLevel(text: string, fail: (why: string) => never): [string[], string] {
  const parts: string[] = [];
  let depth = 0;
  let from = 0;
  let verbAt = -1;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === "{") depth++;
    else if (char === "}") depth--;
    else if (char === "/" && depth === 0) {
      parts.push(text.slice(from, i));
      from = i + 1;
    } else if (char === ":" && depth === 0) verbAt = i;
    if (depth < 0 || depth > 1) fail("unbalanced braces");
  }
  if (depth !== 0) fail("unbalanced braces");
  const last = verbAt >= from ? text.slice(from, verbAt) : text.slice(from);
  parts.push(last);
  const verb = verbAt >= from ? text.slice(verbAt + 1) : "";
  if (verbAt >= from && !literal.test(verb)) fail(`bad verb "${verb}"`);
  return [parts, verb];
}

/** The template in OpenAPI form: `{name=shelves/*}` becomes `{name}`, the verb is kept. */
export function openApiPath(template: string): string {
  return template.replace(/\{([^}=]+)(=[^}]*)?\}/g, "{$1}");
}
