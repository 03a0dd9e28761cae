// Bundles the playground into ../assets, which the Go package embeds. Every file is named
// by its content hash, so a browser may cache it for good; manifest.json tells the Go
// handler which script, stylesheet and workers the page names. Run through
// scripts/build-playground.
import { build } from 'esbuild';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

const outdir = new URL('../assets/', import.meta.url).pathname;

const common = {
  bundle: true,
  minify: true,
  legalComments: 'none',
  target: ['chrome111', 'firefox114', 'safari16.4'],
  outdir,
  entryNames: '[name]-[hash]',
  chunkNames: 'chunk-[hash]',
  metafile: true,
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
};

// outputOf returns the name of the file built for an entry point, and its metadata.
function outputOf(metafile, entry) {
  const [file, meta] = Object.entries(metafile.outputs).find(([, out]) => out.entryPoint === entry);
  return { name: basename(file), meta };
}

await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });

// Monaco's language workers, each a classic worker script with no imports of its own.
const workers = {
  editor: 'node_modules/monaco-editor/esm/vs/editor/editor.worker.js',
  json: 'node_modules/monaco-editor/esm/vs/language/json/json.worker.js',
  graphql: 'node_modules/monaco-graphql/esm/graphql.worker.js',
};
const workerBuild = await build({
  ...common,
  format: 'iife',
  entryPoints: Object.entries(workers).map(([label, path]) => ({ in: path, out: `${label}.worker` })),
});
const workerFiles = Object.fromEntries(
  Object.entries(workers).map(([label, path]) => [label, outputOf(workerBuild.metafile, path).name]),
);

// graphiql/style.css holds Monaco's styles already (its icon font as data:). The CSS that
// Monaco's modules import would otherwise land in stylesheets of lazy chunks, which
// nothing loads: those imports come out empty.
const monacoCSS = {
  name: 'monaco-css',
  setup(b) {
    b.onResolve({ filter: /\.css$/ }, (args) =>
      args.importer.includes('/node_modules/monaco-editor/') ? { path: args.path, namespace: 'monaco-css' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'monaco-css' }, () => ({ contents: '', loader: 'js' }));
  },
};

const app = await build({
  ...common,
  plugins: [monacoCSS],
  format: 'esm',
  splitting: true,
  entryPoints: [{ in: 'src/main.jsx', out: 'playground' }],
  jsx: 'automatic',
  // GraphiQL's prettify imports prettier's legacy parser-* entries, which are UMD scripts:
  // esbuild gives a dynamic import() of CommonJS only a default export, so their named
  // `parsers` would be missing. The ESM plugins export the same parsers by name.
  alias: { 'prettier/parser-graphql': 'prettier/plugins/graphql', 'prettier/parser-babel': 'prettier/plugins/babel' },
});
const main = outputOf(app.metafile, 'src/main.jsx');
const manifest = { script: main.name, style: basename(main.meta.cssBundle), workers: workerFiles };
await writeFile(join(outdir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');

const files = (await readdir(outdir)).sort();
console.log(`${files.length} files in ${outdir}: ${files.join(' ')}`);
