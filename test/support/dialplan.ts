import { readFileSync } from 'node:fs';

/**
 * Just enough of Asterisk's dialplan to replay what a file sends with CURL():
 * it finds every CURL() call and CURLOPT() setting in the file and expands
 * ${VAR}, ${URIENCODE(...)} and ${CALLERID(...)} from a table. An unknown
 * variable throws, so the test breaks when the file drifts.
 */

export interface CurlCall {
  /** Context and priority label, for messages. */
  where: string;
  url: string;
  /** The POST body, or undefined for a GET. */
  data: string | undefined;
}

/** Index of the `}`/`)` closing the bracket opened at `open`. */
function closing(text: string, open: number): number {
  const pair: Record<string, string> = { '{': '}', '(': ')', '[': ']' };
  const stack: string[] = [];
  for (let i = open; i < text.length; i += 1) {
    const ch = text[i]!;
    if (ch in pair) stack.push(pair[ch]!);
    else if (ch === stack[stack.length - 1]) {
      stack.pop();
      if (stack.length === 0) return i;
    }
  }
  throw new Error(`unbalanced brackets in: ${text}`);
}

/** Splits at the first comma outside ${...}, $[...] and (...). */
function splitTopComma(text: string): [string, string | undefined] {
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i]!;
    if (ch === '$' && (text[i + 1] === '{' || text[i + 1] === '[')) i = closing(text, i + 1);
    else if (ch === '(') i = closing(text, i);
    else if (ch === ',') return [text.slice(0, i), text.slice(i + 1)];
  }
  return [text, undefined];
}

export function expand(template: string, vars: Record<string, string>): string {
  let out = '';
  for (let i = 0; i < template.length; i += 1) {
    if (template.startsWith('${', i)) {
      const end = closing(template, i + 1);
      const inner = template.slice(i + 2, end);
      const call = /^(\w+)\((.*)\)$/s.exec(inner);
      if (call?.[1] === 'URIENCODE') out += encodeURIComponent(expand(call[2]!, vars));
      else {
        const name = call ? `${call[1]!}(${expand(call[2]!, vars)})` : inner;
        const value = vars[name];
        if (value === undefined)
          throw new Error(`the dialplan uses \${${name}}, which the test does not know`);
        out += value;
      }
      i = end;
    } else out += template.charAt(i);
  }
  return out;
}

/** Every ${CURL(url[,data])} in the file, in order, with where it is. */
export function curlCalls(
  file: string,
): { where: string; url: string; data: string | undefined }[] {
  const calls: { where: string; url: string; data: string | undefined }[] = [];
  let context = '';
  // The nearest priority label above, e.g. n(poll): names the step a request belongs to.
  let label: string | undefined;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const section = /^\[([\w-]+)\]/.exec(line);
    if (section) [context, label] = [section[1]!, undefined];
    if (line.trimStart().startsWith(';')) continue;
    label = /=>\s*n\((\w+)\)/.exec(line)?.[1] ?? label;
    let from = line.indexOf('${CURL(');
    while (from >= 0) {
      const open = from + '${CURL'.length;
      const inner = line.slice(open + 1, closing(line, open));
      const [url, data] = splitTopComma(inner);
      calls.push({ where: `${context}${label ? `(${label})` : ''}`, url, data });
      from = line.indexOf('${CURL(', open);
    }
  }
  return calls;
}

/** Every Set(CURLOPT(name)=value) in a context, in file order. */
export function curlOptions(file: string, context: string): [string, string][] {
  const options: [string, string][] = [];
  let current = '';
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const section = /^\[([\w-]+)\]/.exec(line);
    if (section) current = section[1]!;
    const match = /Set\(CURLOPT\((\w+)\)=(.*)\)\s*$/.exec(line);
    if (match && current === context) options.push([match[1]!, match[2]!]);
  }
  return options;
}
