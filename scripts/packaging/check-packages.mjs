#!/usr/bin/env node
/**
 * The new-user check (issue #13's "done when"): everything a person trying dist-kd from the
 * registry would do, from packed tarballs, outside the monorepo.
 *
 *   1. builds the workspace and packs every published package (`pnpm pack`, so the published
 *      manifest is what is tested: publishConfig applied, workspace ranges replaced);
 *   2. per package manager (npm, pnpm; yarn classic for the snippets): a fresh project per backend
 *      installs its tarball as the README says and runs the README's snippets verbatim (taken from README.md by their
 *      `<!-- example: ... -->` markers), plus what the README promises around them: the published
 *      exports ignore `--conditions=development`, backend-webgpu installs no Dawn binaries and says
 *      how to add them, a webgpu-only TypeScript consumer compiles (moduleResolution node and
 *      nodenext), the conformance CLI runs on the installed cpu backend;
 *   3. bundles backend-cpu, backend-tfjs and backend-webgpu for the browser with esbuild and with
 *      Vite, serves each on localhost and runs it in headless Chromium, where it must compute the
 *      README example's loss (checked against core's float64 reference);
 *   4. clones the repository (its committed HEAD) into a temporary folder, installs it and runs
 *      `pnpm bench` there: it must finish within 5 minutes and print its verdict lines.
 *
 * Usage: node scripts/packaging/check-packages.mjs [--skip-bench] [--keep] [--only TEXT]
 *   --keep       leave the temporary projects in place (their folder is printed first)
 *   --only TEXT  run only the steps whose name contains TEXT (packing always runs)
 * Needs network access to the npm registry (tfjs, typescript, esbuild and vite for the fresh
 * projects) and /usr/bin/chromium (scripts/setup.sh installs it; CHROMIUM_PATH points elsewhere).
 * Exits 1 when any step failed, after running the others.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const argv = process.argv.slice(2);
const args = new Set(argv);
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : undefined;
const PACK_STEP = 'build and pack every published package';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The bench's promise: a default run in a fresh clone finishes within this. */
const BENCH_LIMIT_S = 300;
/** Published packages, in dependency order. */
const PACKAGES = ['core', 'kernel-wasm', 'kernel-wgsl', 'backend-cpu', 'backend-tfjs', 'backend-webgpu', 'conformance'];
/** The issue's case for npm (a project already on tfjs 4.21); pnpm gets the current release. */
const TFJS_VERSION = { npm: '4.21.0', pnpm: '4.22.0', yarn: '4.22.0' };
/** Yarn classic, fetched by npx, for the README snippets under yarn. */
const YARN = 'yarn@1.22.22';

const results = [];

async function step(name, body) {
  if (only !== undefined && name !== PACK_STEP && !name.includes(only)) return;
  const started = Date.now();
  process.stdout.write(`… ${name}\n`);
  try {
    const detail = await body();
    const seconds = (Date.now() - started) / 1000;
    results.push({ name, ok: true, seconds, detail });
    process.stdout.write(`ok   ${name} (${seconds.toFixed(0)} s)${detail ? `: ${detail}` : ''}\n`);
  } catch (error) {
    const seconds = (Date.now() - started) / 1000;
    results.push({ name, ok: false, seconds, detail: error.message });
    process.stdout.write(`FAIL ${name} (${seconds.toFixed(0)} s): ${error.message}\n`);
  }
}

/** Runs a command; on failure the error carries its output, so a FAIL line says what went wrong. */
async function sh(command, commandArgs, options = {}) {
  try {
    const { stdout, stderr } = await run(command, commandArgs, { maxBuffer: 64 * 2 ** 20, ...options, env: { ...process.env, ...options.env } });
    return { stdout, stderr };
  } catch (error) {
    const output = `${error.stdout ?? ''}${error.stderr ?? ''}`.trim().split('\n').slice(-25).join('\n');
    throw new Error(`${command} ${commandArgs.join(' ')} failed (exit ${error.code}):\n${output}`);
  }
}

function expectMatch(text, pattern, what) {
  if (!pattern.test(text)) throw new Error(`${what}: expected ${pattern}, got:\n${text.trim().split('\n').slice(-15).join('\n')}`);
}

/** The README's snippets, by the file their marker names. */
async function readmeSnippets() {
  const readme = await readFile(path.join(root, 'README.md'), 'utf8');
  const snippets = new Map();
  for (const match of readme.matchAll(/<!-- example: (\S+) -->\n```js\n([\s\S]*?)```/g)) snippets.set(match[1], match[2]);
  // Each backend's README install line, as the README prints it.
  const installs = [...readme.matchAll(/```sh\nnpm install (@dist-kd\/[^\n]+)\n```/g)].map((m) => m[1].split(/\s+/));
  return { snippets, installs };
}

async function main() {
  const work = await mkdtemp(path.join(os.tmpdir(), 'dist-kd-packaging-'));
  process.stdout.write(`working in ${work}\n`);
  const tarballs = path.join(work, 'tarballs');
  const tarball = (name) => path.join(tarballs, `dist-kd-${name}-0.1.0.tgz`);
  const { snippets, installs } = await readmeSnippets();
  const cpuSnippet = snippets.get('packages/backend-cpu/examples/quick-start.mjs');
  const tfjsSnippet = snippets.get('packages/backend-tfjs/examples/train-student.mjs');
  const readmeInstall = (pkg) => installs.find((words) => words[0] === pkg) ?? [pkg];

  await step(PACK_STEP, async () => {
    await sh('pnpm', ['build'], { cwd: root });
    await mkdir(tarballs, { recursive: true });
    for (const name of PACKAGES) await sh('pnpm', ['pack', '--pack-destination', tarballs], { cwd: path.join(root, 'packages', name) });
    const sizes = [];
    for (const name of PACKAGES) sizes.push(`${name} ${((await stat(tarball(name))).size / 1024).toFixed(0)} KiB`);
    return sizes.join(', ');
  });

  /**
   * A fresh project with the README's install line, the @dist-kd/* names taken from the tarballs
   * (they are not on the registry yet): npm installs them directly; pnpm through overrides, since a
   * tarball's own @dist-kd dependencies must resolve to tarballs too.
   */
  async function freshProject(manager, name, words) {
    const dir = path.join(work, `${manager}-${name}`);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: `fresh-${name}`, version: '1.0.0', private: true, type: 'module' }, null, 2));
    const local = (word) => (word.startsWith('@dist-kd/') ? tarball(word.slice('@dist-kd/'.length)) : word);
    if (manager === 'yarn') {
      // Yarn resolves a tarball's own @dist-kd dependencies to the tarballs through `resolutions`.
      const resolutions = Object.fromEntries(PACKAGES.map((p) => [`@dist-kd/${p}`, `file:${tarball(p)}`]));
      await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: `fresh-${name}`, version: '1.0.0', private: true, type: 'module', resolutions }, null, 2));
      await sh('npx', ['--yes', YARN, 'add', '--non-interactive', ...words.map(local)], { cwd: dir });
    } else if (manager === 'npm') {
      // Core and the kernels first: a backend's ^0.1.0 dependencies on them are then satisfied
      // without the registry (where a user's npm would fetch them).
      const below = PACKAGES.filter((p) => p === 'core' || p.startsWith('kernel-'));
      const specs = [...below.map(tarball), ...words.filter((w) => !below.some((p) => w === `@dist-kd/${p}`)).map(local)];
      await sh('npm', ['install', '--no-audit', '--no-fund', ...specs], { cwd: dir });
    } else {
      const overrides = PACKAGES.map((p) => `  '@dist-kd/${p}': 'file:${tarball(p)}'`).join('\n');
      // pnpm 12 stops on dependencies with install scripts it was not told about: tfjs's core-js
      // (a no-op banner) and esbuild (verifies its binary, which the optional dependency provides).
      await writeFile(
        path.join(dir, 'pnpm-workspace.yaml'),
        `overrides:\n${overrides}\nallowBuilds:\n  core-js: false\n  esbuild: false\n`,
      );
      await sh('pnpm', ['add', ...words.map(local)], { cwd: dir });
    }
    return dir;
  }

  const tfjsWords = (manager) =>
    readmeInstall('@dist-kd/backend-tfjs').map((w) => (w.startsWith('@tensorflow/') ? `${w}@${TFJS_VERSION[manager]}` : w));

  for (const manager of ['npm', 'pnpm', 'yarn']) {
    await step(`${manager}: README CPU snippet, backend-cpu alone`, async () => {
      const dir = await freshProject(manager, 'cpu', readmeInstall('@dist-kd/backend-cpu'));
      await writeFile(path.join(dir, 'snippet.mjs'), cpuSnippet);
      const { stdout } = await sh('node', ['snippet.mjs'], { cwd: dir });
      expectMatch(stdout, /^loss \d+\.\d{4}: inter \d+\.\d{4}, intra \d+\.\d{4}\ndloss\/dstudent\[0\] = -?\d\.\d{3}e[-+]\d+\n$/, 'snippet output');
      // Published exports carry no `development` condition pointing at sources.
      const dev = await sh('node', ['--conditions=development', 'snippet.mjs'], { cwd: dir });
      if (dev.stdout !== stdout) throw new Error(`--conditions=development changed the output:\n${dev.stdout}`);
      return stdout.split('\n')[0];
    });

    await step(`${manager}: README tfjs snippet, @tensorflow/tfjs ${TFJS_VERSION[manager]}`, async () => {
      const dir = await freshProject(manager, 'tfjs', tfjsWords(manager));
      await writeFile(path.join(dir, 'snippet.mjs'), tfjsSnippet);
      const { stdout } = await sh('node', ['snippet.mjs'], { cwd: dir });
      expectMatch(stdout, /^training on tfjs wasm \(SIMD/, 'snippet output');
      const losses = [...stdout.matchAll(/step \d+: loss (\d+\.\d+)/g)].map((m) => Number(m[1]));
      if (losses.length !== 5 || !(losses[4] < losses[0])) throw new Error(`the loss did not fall: ${losses.join(', ')}`);
      // One tfjs-core in the tree: the project's own.
      const cores = await findPackages(path.join(dir, 'node_modules'), '@tensorflow/tfjs-core');
      if (new Set(cores).size !== 1) throw new Error(`tfjs-core versions in the tree: ${cores.join(', ')}`);
      return `${stdout.split('\n')[0]}; loss ${losses[0]} -> ${losses[4]}; one tfjs-core (${cores[0]})`;
    });

    // The rest is about the packages, not the package manager: npm and pnpm (strict layout) cover it.
    if (manager === 'yarn') continue;

    await step(`${manager}: backend-webgpu without Dawn, and its types for a TypeScript consumer`, async () => {
      const dir = await freshProject(manager, 'webgpu', ['@dist-kd/backend-webgpu', '@tensorflow/tfjs-core@4.22.0', 'typescript@5.9.3']);
      const dawn = await findPackages(path.join(dir, 'node_modules'), 'webgpu');
      if (dawn.length) throw new Error(`the webgpu package (Dawn) was installed: ${dawn.join(', ')}`);
      await writeFile(
        path.join(dir, 'availability.mjs'),
        "import { createBackend } from '@dist-kd/backend-webgpu';\nconst backend = await createBackend();\nconsole.log(JSON.stringify(await backend.availability()));\n",
      );
      const availability = JSON.parse((await sh('node', ['availability.mjs'], { cwd: dir })).stdout);
      if (availability.available !== false || !/npm install webgpu/.test(availability.hint ?? '')) {
        throw new Error(`availability without Dawn should name "npm install webgpu": ${JSON.stringify(availability)}`);
      }
      // A webgpu-only consumer: no @webgpu/types of its own, library types checked too.
      await writeFile(
        path.join(dir, 'webgpu-only.ts'),
        [
          "import { createBackend, PRESETS } from '@dist-kd/backend-webgpu';",
          'export async function loss(device?: GPUDevice): Promise<number> {',
          '  const backend = await createBackend(device ? { device } : {});',
          '  const result = await backend.compute({ student: new Float32Array(4), teacher: new Float32Array(4), shape: [2, 2], options: PRESETS.cifar100.options });',
          '  return result.loss;',
          '}',
          '',
        ].join('\n'),
      );
      // The /tfjs subpath; tfjs-core's own declarations do not pass a library check, so skipLibCheck
      // is on as `tsc --init` sets it.
      await writeFile(
        path.join(dir, 'with-tfjs.ts'),
        "import { createTfjsDist } from '@dist-kd/backend-webgpu/tfjs';\nexport type CreateTfjsDist = typeof createTfjsDist;\n",
      );
      for (const moduleResolution of ['node', 'nodenext']) {
        for (const [file, skipLibCheck] of [['webgpu-only.ts', false], ['with-tfjs.ts', true]]) {
          const compilerOptions = {
            strict: true,
            noEmit: true,
            skipLibCheck,
            lib: ['es2022', 'dom'],
            types: [],
            module: moduleResolution === 'node' ? 'commonjs' : 'nodenext',
            moduleResolution,
          };
          await writeFile(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: [file] }));
          await sh('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: dir });
        }
      }
      return `no Dawn installed; hint: ${availability.hint.slice(0, 60)}...; tsc passes with moduleResolution node and nodenext`;
    });

    await step(`${manager}: conformance CLI on the installed cpu backend`, async () => {
      const dir = await freshProject(manager, 'conformance', ['@dist-kd/conformance', '@dist-kd/backend-cpu']);
      const { stdout } = await sh(manager === 'npm' ? 'npx' : 'pnpm', [...(manager === 'pnpm' ? ['exec'] : []), 'dist-kd-conformance', '--backend', 'cpu'], { cwd: dir });
      expectMatch(stdout, /(\d+) passed, 0 failed\s*$/, 'conformance totals');
      return stdout.trim().split('\n').at(-1);
    });
  }

  await step('browser: backend-cpu, backend-tfjs and backend-webgpu bundled by esbuild and Vite, run in headless Chromium', async () => {
    const dir = await freshProject('npm', 'browser', [
      '@dist-kd/backend-cpu',
      '@dist-kd/backend-webgpu',
      ...tfjsWords('npm'),
      'esbuild@0.28.2',
      'vite@8.3.8',
    ]);
    return browserCheck(dir);
  });

  if (!args.has('--skip-bench')) {
    await step(`pnpm bench in a fresh clone, within ${BENCH_LIMIT_S / 60} minutes, with verdict lines`, async () => {
      const clone = path.join(work, 'clone');
      await sh('git', ['clone', '--quiet', root, clone]);
      await sh('pnpm', ['install', '--frozen-lockfile'], { cwd: clone });
      const started = Date.now();
      const { stdout, stderr } = await sh('pnpm', ['bench'], { cwd: clone, timeout: 2 * BENCH_LIMIT_S * 1000 });
      const seconds = (Date.now() - started) / 1000;
      const verdicts = stdout.split('\n').filter((line) => / ran \d+(\.\d+)? ± \d+(\.\d+)? times (faster|slower) than /.test(line));
      if (verdicts.length === 0) throw new Error(`no verdict lines in the output:\n${stdout.slice(-2000)}${stderr.slice(-1000)}`);
      if (seconds > BENCH_LIMIT_S) throw new Error(`pnpm bench took ${seconds.toFixed(0)} s, over ${BENCH_LIMIT_S} s`);
      const load = os.loadavg()[0].toFixed(2);
      return `${seconds.toFixed(0)} s (load average now ${load} on ${os.cpus().length} cores); ${verdicts.length} verdicts:\n  ${verdicts.join('\n  ')}`;
    });
  }

  process.stdout.write(`\n${results.filter((r) => r.ok).length} passed, ${results.filter((r) => !r.ok).length} failed\n`);
  for (const r of results) process.stdout.write(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name} (${r.seconds.toFixed(0)} s)\n`);
  if (!args.has('--keep')) await rm(work, { recursive: true, force: true });
  process.exitCode = results.every((r) => r.ok) ? 0 : 1;
}

/** Versions of every real copy of a package under node_modules (pnpm's links not followed, its store included). */
async function findPackages(nodeModules, name) {
  const { stdout } = await sh('find', [nodeModules, '-path', `*/node_modules/${name}/package.json`, '-not', '-path', `*/node_modules/${name}/*/*`]);
  const files = stdout.split('\n').filter(Boolean);
  return Promise.all(files.map(async (file) => JSON.parse(await readFile(file, 'utf8')).version));
}

/** The README example's inputs and preset, as a browser entry computes them with one backend. */
const EXAMPLE = `
const [batch, classes] = [4, 5];
const student = Float32Array.from({ length: batch * classes }, (_, k) => 3 * Math.sin(k));
const teacher = Float32Array.from({ length: batch * classes }, (_, k) => 3 * Math.sin(k + 0.5));
export async function example(backend, PRESETS) {
  const { loss, gradient } = await backend.compute({ student, teacher, shape: [batch, classes], options: PRESETS.cifar100.options, gradient: true });
  await backend.dispose();
  return { loss, gradient0: gradient[0] };
}
`;

const ENTRIES = {
  cpu: `import { createCpuBackend, PRESETS } from '@dist-kd/backend-cpu';
import { example } from './example.js';
export const run = async () => example(createCpuBackend(), PRESETS);`,
  tfjs: `import '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createBackend, PRESETS } from '@dist-kd/backend-tfjs';
import { example } from './example.js';
// The .wasm binaries are served beside the page (copied there by the check, as a site would).
setWasmPaths(new URL('./', location.href).href);
export const run = async () => example(await createBackend({ variant: 'wasm' }), PRESETS);`,
  // The usual mistake: the .wasm files not served where setWasmPaths points. It must fail with a hint.
  'tfjs-unserved': `import '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createBackend, PRESETS } from '@dist-kd/backend-tfjs';
import { example } from './example.js';
setWasmPaths(new URL('./not-served/', location.href).href);
export const run = async () => example(await createBackend({ variant: 'wasm' }), PRESETS);`,
  webgpu: `import { createBackend, PRESETS } from '@dist-kd/backend-webgpu';
import { example } from './example.js';
export const run = async () => example(await createBackend(), PRESETS);`,
};

/** Entries that must fail, and what their error must say. */
const EXPECTED_ERRORS = { 'tfjs-unserved': /setWasmPaths/ };

const PAGE = (script) => `<!doctype html><html><head><meta charset="utf-8"><title>check</title></head><body>
<script type="module">
import { run } from '${script}';
run().then((result) => { window.__result = result; }, (error) => { window.__result = { error: String(error && error.message || error), code: error && error.code }; });
</script></body></html>`;

async function browserCheck(dir) {
  const src = path.join(dir, 'src');
  await mkdir(src, { recursive: true });
  await writeFile(path.join(src, 'example.js'), EXAMPLE);
  for (const [name, code] of Object.entries(ENTRIES)) await writeFile(path.join(src, `${name}.js`), code);

  // esbuild: one ESM bundle per entry, pages beside them. A bundle that fails is a failure of that
  // backend, not of the whole step.
  const failures = [];
  const esbuildOut = path.join(dir, 'out-esbuild');
  await mkdir(esbuildOut, { recursive: true });
  for (const name of Object.keys(ENTRIES)) {
    try {
      // Node-only optional peers a backend imports on demand stay out of a browser bundle.
      await sh('npx', ['esbuild', `src/${name}.js`, '--bundle', '--format=esm', '--platform=browser', '--target=es2022',
        '--external:webgpu', '--external:@tensorflow/tfjs-node', `--outfile=${path.join(esbuildOut, `${name}.js`)}`], { cwd: dir });
      await writeFile(path.join(esbuildOut, `${name}.html`), PAGE(`./${name}.js`));
    } catch (error) {
      failures.push(`esbuild/${name}: does not bundle: ${error.message.split('\n').filter((l) => /ERROR/.test(l)).join('; ') || error.message}`);
    }
  }
  // Vite: a page per entry, each its own build (as separate apps), so one failing does not hide the others.
  const viteOut = path.join(dir, 'out-vite');
  const viteRoot = path.join(dir, 'vite-app');
  await mkdir(viteRoot, { recursive: true });
  await mkdir(viteOut, { recursive: true });
  await cp(src, viteRoot, { recursive: true });
  for (const name of Object.keys(ENTRIES)) {
    await writeFile(path.join(viteRoot, `${name}.html`), PAGE(`./${name}.js`));
    const config = path.join(dir, `vite.${name}.config.mjs`);
    const build = { outDir: viteOut, emptyOutDir: false, target: 'es2022', rollupOptions: { input: path.join(viteRoot, `${name}.html`), external: ['webgpu', '@tensorflow/tfjs-node'] } };
    await writeFile(config, `export default ${JSON.stringify({ root: viteRoot, base: './', logLevel: 'error', build })};\n`);
    try {
      await sh('npx', ['vite', 'build', '--config', config], { cwd: dir });
    } catch (error) {
      failures.push(`vite/${name}: does not build: ${error.message.split('\n').slice(1, 4).join(' ')}`);
    }
  }
  const wasmDir = path.join(dir, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
  for (const out of [esbuildOut, viteOut]) {
    for (const file of (await readdir(wasmDir)).filter((f) => f.endsWith('.wasm'))) await cp(path.join(wasmDir, file), path.join(out, file));
  }

  const core = await import(pathToFileURL(path.join(dir, 'node_modules/@dist-kd/core/dist/index.js')).href);
  const student = Float32Array.from({ length: 20 }, (_, k) => 3 * Math.sin(k));
  const teacher = Float32Array.from({ length: 20 }, (_, k) => 3 * Math.sin(k + 0.5));
  const expected = core.referenceDist({ student, teacher, shape: [4, 5], options: core.PRESETS.cifar100.options }).loss;

  const { chromium } = await import(pathToFileURL(path.join(root, 'node_modules/playwright-core/index.mjs')).href);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const lines = [];
  try {
    for (const [bundler, out] of [['esbuild', esbuildOut], ['vite', viteOut]]) {
      const server = await serve(out);
      try {
        for (const name of Object.keys(ENTRIES)) {
          if (failures.some((f) => f.startsWith(`${bundler}/${name}:`))) continue;
          const page = await browser.newPage();
          const errors = [];
          page.on('pageerror', (error) => errors.push(error.message));
          await page.goto(`http://127.0.0.1:${server.address().port}/${name}.html`);
          const result = await page.waitForFunction(() => window.__result, null, { timeout: 60_000 }).then((h) => h.jsonValue(), (e) => ({ error: `no result: ${e.message}` }));
          await page.close();
          const what = `${bundler}/${name}`;
          const expectedError = EXPECTED_ERRORS[name];
          if (expectedError) {
            if (result.error && expectedError.test(result.error)) lines.push(`${what} says ${expectedError}`);
            else failures.push(`${what}: expected an error matching ${expectedError}, got ${JSON.stringify(result)}`);
          } else if (result.error) failures.push(`${what}: ${result.error}${errors.length ? ` (page errors: ${errors.join('; ')})` : ''}`);
          else if (Math.abs(result.loss - expected) > 1e-4 * Math.abs(expected)) failures.push(`${what}: loss ${result.loss}, expected ${expected}`);
          else lines.push(`${what} loss ${result.loss.toFixed(4)}`);
        }
      } finally {
        server.close();
      }
    }
  } finally {
    await browser.close();
  }
  if (failures.length) throw new Error(`${failures.join('\n')}\npassed: ${lines.join(', ') || 'none'}`);
  return `${lines.join(', ')} (reference ${expected.toFixed(4)})`;
}

/** A static file server for one folder on 127.0.0.1 (a secure context, as WebGPU needs). */
function serve(folder) {
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css' };
  const server = createServer(async (request, response) => {
    const file = path.join(folder, decodeURIComponent(new URL(request.url, 'http://localhost').pathname));
    try {
      if (!file.startsWith(folder)) throw new Error('outside');
      const body = await readFile(file);
      response.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
      response.end(body);
    } catch {
      response.writeHead(404);
      response.end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

await main();
