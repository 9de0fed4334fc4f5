// The operator console: console/src bundled by esbuild into lib/console/, the folder Firebase
// Hosting serves (firebase.json "hosting.public"). Code is split per page: the first load
// carries the app shell, the Firebase SDK's modular Auth and Firestore, and the live calls page;
// the other pages (and the QR encoder) load when opened. Hashed file names let Hosting cache
// them for a year; index.html is never cached.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/** The JS files the entry loads before it runs: itself and its static imports, transitively. */
function firstLoad(metafile, entry) {
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const imp of metafile.outputs[file]?.imports ?? []) {
      if (imp.kind === 'import-statement') visit(imp.path);
    }
  };
  visit(entry);
  return [...seen];
}

/**
 * Firestore 4.17 imports re2js (147 kB, a third of the first load) for one purpose: evaluating
 * the regular-expression functions of pipeline queries on the client (like, regexContains,
 * regexMatch in @firebase/firestore's dist/common-*.esm.js, each inside a try that logs and
 * returns an error value when RE2JS.compile throws). The console runs no pipeline query, so its
 * bundle gets a stand-in whose compile() throws, instead of the library.
 */
const noPipelineRegex = {
  name: 'no-pipeline-regex',
  setup(b) {
    b.onResolve({ filter: /^re2js$/ }, (args) =>
      args.importer.includes(join('node_modules', '@firebase', 'firestore'))
        ? { path: 're2js', namespace: 'no-re2js' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'no-re2js' }, () => ({
      contents:
        "export const RE2JS = { compile() { throw new Error('pipeline regular expressions are not in the console bundle'); } };",
      loader: 'js',
    }));
  },
};

export async function buildConsole(root) {
  const out = join(root, 'lib', 'console');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const { emulators } = JSON.parse(readFileSync(join(root, 'firebase.json'), 'utf8'));
  const hostPort = (e) => `${e.host}:${e.port}`;
  const result = await build({
    absWorkingDir: root,
    entryPoints: { app: join('console', 'src', 'main.ts') },
    outdir: out,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    entryNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    legalComments: 'linked',
    tsconfig: join('console', 'tsconfig.json'),
    define: {
      __EMULATORS__: JSON.stringify({
        auth: hostPort(emulators.auth),
        firestore: hostPort(emulators.firestore),
      }),
    },
    metafile: true,
    plugins: [noPipelineRegex],
    logLevel: 'warning',
  });
  const outputs = result.metafile.outputs;
  const entry = Object.keys(outputs).find((f) => outputs[f].entryPoint);
  const initial = firstLoad(result.metafile, entry);

  const css = readFileSync(join(root, 'console', 'console.css'));
  const cssName = `console-${createHash('sha256').update(css).digest('hex').slice(0, 8)}.css`;
  copyFileSync(join(root, 'console', 'console.css'), join(out, cssName));
  const url = (file) => `/${relative(out, join(root, file)).split('\\').join('/')}`;
  // Every first-load chunk is preloaded from the HTML, so they download in parallel with the
  // entry instead of after it.
  const preloads = initial
    .filter((f) => f !== entry)
    .map((f) => `<link rel="modulepreload" href="${url(f)}" />`)
    .join('\n    ');
  const html = readFileSync(join(root, 'console', 'index.html'), 'utf8')
    .replace('href="/console.css"', `href="/${cssName}"`)
    .replace('src="/app.js"></script>', `src="${url(entry)}"></script>\n    ${preloads}`);
  writeFileSync(join(out, 'index.html'), html);

  const sizes = initial.map((f) => {
    const bytes = readFileSync(join(root, f));
    return { file: basename(f), bytes: bytes.length, gzip: gzipSync(bytes, { level: 6 }).length };
  });
  const total = (key) => sizes.reduce((n, s) => n + s[key], 0);
  const report = { firstLoad: sizes, bytes: total('bytes'), gzip: total('gzip') };
  writeFileSync(join(out, 'build.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(
    `console: first-load JS ${(report.bytes / 1024).toFixed(1)} kB, ${(report.gzip / 1024).toFixed(1)} kB gzip, in ${sizes.length} files (lib/console/build.json)`,
  );
  return report;
}
