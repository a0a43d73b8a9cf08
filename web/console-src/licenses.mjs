// Prints the licence texts of every npm package that esbuild put into the
// bundle (read from its metafile), so THIRD_PARTY_LICENSES.txt lists exactly
// what ships in the binary — no more, no less.
import fs from 'node:fs';
import path from 'node:path';

const meta = JSON.parse(fs.readFileSync('node_modules/.esbuild-meta.json', 'utf8'));
const dirs = new Set();
for (const input of Object.keys(meta.inputs)) {
  const m = input.match(/^(.*?node_modules\/(?:@[^/]+\/)?[^/]+)\//);
  if (m) dirs.add(m[1]);
}

const licenseFile = (dir) =>
  fs.readdirSync(dir).find((f) => /^(licen[cs]e|copying)/i.test(f));

const out = [
  'Third-party software bundled into console.js and console.css',
  '(built by web/console-src/build.sh; generated, do not edit).',
  '',
];
const missing = [];
const MIT = `Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.`;
for (const dir of [...dirs].sort()) {
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const lf = licenseFile(dir);
  out.push('='.repeat(78));
  out.push(`${pkg.name}@${pkg.version} — ${pkg.license || 'see below'}`);
  out.push('='.repeat(78));
  if (lf) {
    out.push(fs.readFileSync(path.join(dir, lf), 'utf8').trim());
  } else {
    // A few packages declare MIT in package.json but ship no licence file;
    // MIT still requires the notice, so reproduce the standard text naming
    // the author (or the project) as the package declares it.
    if (pkg.license !== 'MIT') missing.push(`${pkg.name}@${pkg.version} (${pkg.license})`);
    const author = typeof pkg.author === 'string' ? pkg.author : pkg.author?.name;
    const repo = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
    out.push(`(The package declares "${pkg.license}" in package.json and ships no licence file;`);
    out.push(' the standard MIT licence text follows.)');
    out.push('');
    out.push(`Copyright (c) ${author || `the ${pkg.name} authors`}${repo ? ` (${repo})` : ''}`);
    out.push('');
    out.push(MIT);
  }
  out.push('');
}
if (missing.length) {
  // Anything not MIT without a file needs a human to look before it ships.
  console.error(`licenses.mjs: no licence text for: ${missing.join(', ')}`);
  process.exit(1);
}
process.stdout.write(out.join('\n'));
