// Prints the package folders (relative to the current folder) of the named
// packages and of everything they depend on at run time, resolved the way
// Node resolves them: one per line. For the device bundles (scripts/device-*.sh).
//   node scripts/node-deps.mjs [--optional] NAME...
import fs from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
const optional = args.includes('--optional');
const seen = new Set();
const find = (name, from) => {
  for (let d = from; ; d = path.dirname(d)) {
    // As Node does, never look in node_modules/node_modules (a worktree whose
    // node_modules is a link to a tree that holds such a folder listed paths
    // the bundle then had in the wrong place: vitest's rolldown binding).
    const p = path.join(d, 'node_modules', name);
    if (path.basename(d) !== 'node_modules' && fs.existsSync(path.join(p, 'package.json'))) return p;
    if (path.dirname(d) === d) return null;
  }
};
const walk = (p) => {
  if (!p || seen.has(p)) return;
  seen.add(p);
  const j = JSON.parse(fs.readFileSync(path.join(p, 'package.json'), 'utf8'));
  for (const d of Object.keys({ ...j.dependencies, ...(optional ? j.optionalDependencies : {}) })) walk(find(d, p));
};
for (const n of args.filter((a) => a !== '--optional')) walk(find(n, process.cwd()));
console.log([...seen].map((p) => path.relative(process.cwd(), p)).join('\n'));
