// Copies the view library's ESM build from devtools/node_modules into static_site/admin/vendor/, so the site
// is served as is, with no build step. Run it after changing lit-html's version in package.json:
//   node devtools/vendor.mjs
// tests/test_admin_app.py fails when the vendored file differs from the installed package.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const packageDir = join(root, 'devtools', 'node_modules', 'lit-html');
const vendorDir = join(root, 'static_site', 'admin', 'vendor');
const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));

// The source map isn't shipped, so its comment goes.
const source = readFileSync(join(packageDir, 'lit-html.js'), 'utf8').replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n');
writeFileSync(join(vendorDir, 'lit-html.js'), `/* lit-html ${version}, vendored by devtools/vendor.mjs */\n${source}`);
// Types for tsc: the package's own declarations.
writeFileSync(
  join(vendorDir, 'lit-html.d.ts'),
  `// lit-html ${version}'s types, for tsc (written by devtools/vendor.mjs).\nexport * from '../../../devtools/node_modules/lit-html/lit-html.js';\n`,
);
